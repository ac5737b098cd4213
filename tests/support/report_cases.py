"""Reports built from planted predictions for the rendering tests."""

from __future__ import annotations

import random

from synthloop.tools.evaluate import Prediction, build_report
from synthloop.tools.models import Annotation, Provenance, Sample


def big_report(n_classes: int = 20, values_per_axis: int = 50, n_images: int = 300, seed: int = 0):
    """A detection report with `n_classes` classes and 2 axes of `values_per_axis` values
    (so 2 * values_per_axis variable slices, plus scenarios, plus every slice × class)."""
    rng = random.Random(seed)
    names = [f"class_{i:02d}_with_a_long_name" for i in range(n_classes)]
    samples, preds = [], {}
    for k in range(n_images):
        anns, p = [], []
        for j in range(3):
            c = rng.choice(names)
            x = 10 + 30 * j
            box = (float(x), 10.0, float(x + 25), 60.0)
            anns.append(Annotation(cls=c, box=box))
            r = rng.random()
            if r < 0.6:
                p.append(Prediction(c, 0.9, box))
            elif r < 0.75:
                p.append(Prediction(rng.choice(names), 0.6, box))
        if rng.random() < 0.3:
            p.append(Prediction(rng.choice(names), 0.5, (150.0, 150.0, 190.0, 190.0)))
        sid = f"sample_{k:04d}_0123456789abcdef"
        samples.append(Sample(
            id=sid, image=f"files/xx/{sid}.png", width=200, height=200, annotations=anns,
            scenario_id=f"scenario_{k % 7}",
            variables={"lighting_condition": f"light_{k % values_per_axis}",
                       "background_type": f"bg_{(k * 7 + 3) % values_per_axis}"},
            split="test", provenance=Provenance(generator="planted")))
        preds[sid] = p
    return build_report(samples, preds, names).model_copy(update={"id": "big0123456789ab"})
