"""Policies and hand-placed samples for the text tests (no generator involved)."""

from __future__ import annotations

from synthloop.tools.design.policy_io import load_example_policy
from synthloop.tools.models import Annotation, Policy, Provenance, Sample


def example_policy(name: str) -> Policy:
    return load_example_policy(name)


def person(x0: float, *, hat: bool = False, vest: bool = False, w: float = 40.0):
    """A person box at x0 on a 300-px-wide image, with the worn items inside it."""
    out = [Annotation(cls="person", box=(x0, 60, x0 + w, 200))]
    if hat:
        out.append(Annotation(cls="hard_hat", box=(x0 + 8, 60, x0 + w - 8, 75)))
    if vest:
        out.append(Annotation(cls="hi_vis_vest", box=(x0 + 4, 90, x0 + w - 4, 140)))
    return out


def sample(sid: str, anns, *, scenario: str = "fully_equipped", source: str = "synthetic",
           variables: dict | None = None, label: str | None = None, split=None,
           parent: str | None = None) -> Sample:
    flat = [a for group in anns for a in group] if anns and isinstance(anns[0], list) else anns
    return Sample(id=sid, image=f"files/{sid}.png", width=300, height=220, annotations=flat,
                  scenario_id=scenario, source=source, label=label, split=split,
                  variables=variables if variables is not None else
                  {"lighting": "night", "distance": "near", "clothing_colour": "orange"},
                  provenance=Provenance(generator="procedural", seed=1, parent_sample=parent))


def png_bytes(seed: int, size=(300, 220)) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    arr = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def stored(ws, samples: list[Sample]) -> list[Sample]:
    """`samples` with real PNG files in the workspace, saved there."""
    out = [s.model_copy(update={"image": ws.put_bytes(png_bytes(i), "png")})
           for i, s in enumerate(samples)]
    ws.save_samples(out)
    return out


def ppe_samples() -> list[Sample]:
    """Nine PPE samples: synthetic, augmented and real, compliant and violating."""
    return [
        sample("syn-ok", [person(20, hat=True, vest=True)]),
        sample("syn-crew", [person(20, hat=True, vest=True), person(200, hat=True, vest=True)],
               scenario="crew_fully_equipped"),
        sample("syn-bare", [person(130, vest=True)], scenario="no_hard_hat"),
        sample("syn-one-of-two", [person(20, hat=True, vest=True), person(200, vest=True)],
               scenario="one_of_two_bare_headed"),
        sample("syn-group", [person(10, hat=True, vest=True), person(120, hat=True, vest=True),
                             person(240, hat=True)], scenario="group_one_without_vest"),
        sample("syn-none", [person(130)], scenario="no_ppe_at_all",
               variables={"lighting": "day", "weather": "fog"}),
        sample("aug-ok", [person(22, hat=True, vest=True)], source="augmented", parent="syn-ok"),
        sample("real-1", [person(200, hat=True, vest=True)], source="real", split="test"),
        sample("real-2", [person(30, vest=True)], source="real", split="test",
               scenario="no_hard_hat"),
    ]
