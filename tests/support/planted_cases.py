"""Small builders for planted evaluation cases (no images, no model)."""

from __future__ import annotations

from synthloop.tools.evaluate import Prediction
from synthloop.tools.models import Annotation, Provenance, Sample


def make_sample(sid: str, boxes: list[tuple[str, tuple]] = (), *, variables=None,
                scenario: str | None = "s1", label: str | None = None) -> Sample:
    return Sample(
        id=sid, image=f"files/xx/{sid}.png", width=100, height=100,
        annotations=[Annotation(cls=c, box=b) for c, b in boxes], label=label,
        scenario_id=scenario, variables=dict(variables or {}), split="test",
        provenance=Provenance(generator="planted"),
    )


BOX_A = (5.0, 5.0, 40.0, 40.0)
BOX_B = (55.0, 55.0, 95.0, 95.0)


def planted_night_case(n: int = 20):
    """2n images, each with one A and one B. A is always found; B is found by day and
    always missed at night. Weather and scenario alternate independently of lighting."""
    samples, preds = [], {}
    for i in range(2 * n):
        lighting = "day" if i < n else "night"
        s = make_sample(f"img{i:03d}", [("A", BOX_A), ("B", BOX_B)],
                        variables={"lighting": lighting,
                                   "weather": "clear" if i % 2 else "rain"},
                        scenario="s1" if i % 3 else "s2")
        samples.append(s)
        p = [Prediction("A", 0.9, BOX_A)]
        if lighting == "day":
            p.append(Prediction("B", 0.8, BOX_B))
        preds[s.id] = p
    return samples, preds
