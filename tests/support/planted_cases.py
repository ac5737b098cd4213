"""Planted evaluation cases: samples with known predictions, and reports whose hit rates
follow a given function (no images, no model)."""

from __future__ import annotations

import random

from synthloop.tools.evaluate import Prediction
from synthloop.tools.models import (
    Annotation,
    EvalSetInfo,
    ImageResult,
    MisclassificationReport,
    Provenance,
    Sample,
)


def eval_sample(sid: str, boxes: list[tuple[str, tuple]] = (), *, variables=None,
                scenario: str | None = "s1", label: str | None = None) -> Sample:
    """A 100x100 test-split sample with `boxes` = [(class, box), ...] (no image file)."""
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
        s = eval_sample(f"img{i:03d}", [("A", BOX_A), ("B", BOX_B)],
                        variables={"lighting": lighting,
                                   "weather": "clear" if i % 2 else "rain"},
                        scenario="s1" if i % 3 else "s2")
        samples.append(s)
        p = [Prediction("A", 0.9, BOX_A)]
        if lighting == "day":
            p.append(Prediction("B", 0.8, BOX_B))
        preds[s.id] = p
    return samples, preds


# The weakness tests' axes: three values each; background=yard makes objects small.
WEAKNESS_AXES = {"lighting": ["day", "overcast", "night"], "weather": ["clear", "rain", "fog"],
                 "background": ["site", "road", "yard"]}


def planted_weakness_report(recall, n_images: int = 600,
                            seed: int = 0) -> MisclassificationReport:
    """A report whose per-object hit rate is `recall(variables, cls)`; every image shows one
    person and one hard hat; variables drawn uniformly (a balanced eval set)."""
    rng = random.Random(seed)
    images = []
    for i in range(n_images):
        v = {a: rng.choice(vals) for a, vals in WEAKNESS_AXES.items()}
        objects = {"person": 1, "hard_hat": 1}
        found = {c: int(rng.random() < recall(v, c)) for c in objects}
        images.append(ImageResult(sample_id=f"s{i}", tp=sum(found.values()),
                                  fn=2 - sum(found.values()), variables=v,
                                  scenario_id="with_hat", objects=objects, found=found,
                                  object_size=0.02 if v["background"] == "yard" else 0.3))
    return MisclassificationReport(eval_set=EvalSetInfo(kind="synthetic", n_images=n_images),
                                   images=images)
