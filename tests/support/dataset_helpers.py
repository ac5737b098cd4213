"""Helpers for dataset tests: stored policies and small PNG samples written straight into
the workspace (no generator needed)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from synthloop.tools.models import (
    Annotation,
    ClassCount,
    GenerationSpec,
    ObjectClass,
    Policy,
    Provenance,
    Sample,
    Scenario,
)


def png_bytes(seed: int, size=(64, 48)) -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def detection_policy(ws) -> Policy:
    return ws.save_policy(Policy(
        title="site safety",
        classes=[ObjectClass(name="person", appears="person"),
                 ObjectClass(name="hard_hat", appears="worn_on_head")],
        scenarios=[Scenario(id="with_hat", kind="compliant",
                            classes=[ClassCount(name="person"), ClassCount(name="hard_hat")]),
                   Scenario(id="bare_head", kind="violating", classes=[ClassCount(name="person")])]))


def classification_policy(ws) -> Policy:
    return ws.save_policy(Policy(
        title="helmet or not", task="classification",
        scenarios=[Scenario(id="helmet_on", kind="compliant", label="helmet on"),
                   Scenario(id="no_helmet", kind="violating", label="../no helmet")]))


def add_sample(ws, n: int, *, source="synthetic", split="train", anns=(("person", (4, 4, 30, 40)),),
               label=None, parent=None, spec=True, variables=None, size=(64, 48)) -> Sample:
    """Store one sample; synthetic ones get a stored spec with a prompt."""
    data = png_bytes(n, size)
    rel = ws.put_bytes(data, "png")
    spec_id = None
    variables = variables if variables is not None else {"lighting": "night" if n % 2 else "day"}
    if source == "synthetic" and spec:
        sp = GenerationSpec(policy_version=1, scenario_id="with_hat", prompt=f"a worker {n}",
                            seed=n, split=split, variables=variables, label=label)
        ws.save_specs([sp])
        spec_id = sp.id
    s = Sample(id=f"{source[:3]}-{n:04d}", spec_id=spec_id, image=rel, width=size[0],
               height=size[1], annotations=[Annotation(cls=c, box=b) for c, b in anns],
               label=label, scenario_id="with_hat", variables=variables, split=split,
               source=source,
               provenance=Provenance(generator="procedural" if source == "synthetic" else source,
                                     seed=n if source == "synthetic" else None,
                                     parent_sample=parent))
    ws.save_samples([s])
    return s
