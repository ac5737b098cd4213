"""A tiny hand-made dataset in a workspace: coloured rectangles, two classes, two lighting
values, stored as real samples and a DatasetVersion (no generator needed)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from synthloop.tools.models import Annotation, DatasetVersion, Provenance, Sample

COLOURS = {"red_box": (220, 40, 40), "blue_box": (40, 60, 230)}


def _image(rng: random.Random, size: int, night: bool, task: str):
    bg = (25, 25, 35) if night else (170, 170, 160)
    img = Image.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(img)
    anns, label = [], None
    names = list(COLOURS)
    picks = [rng.choice(names)] if task == "classification" else rng.sample(names, rng.randint(1, 2))
    for k, cls in enumerate(picks):
        w = rng.randint(size // 4, size // 2)
        x0 = rng.randint(0, size // 2 - w // 2) + k * size // 2
        y0 = rng.randint(0, size - w)
        box = (float(x0), float(y0), float(min(x0 + w, size)), float(y0 + w))
        d.rectangle(box, fill=COLOURS[cls])
        anns.append(Annotation(cls=cls, box=box))
        label = cls
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue(), anns, label


def make_tiny_dataset(ws, *, n_train: int = 32, n_val: int = 8, n_test: int = 12, size: int = 64,
                      task: str = "detection", seed: int = 0) -> DatasetVersion:
    rng = random.Random(seed)
    samples, splits = [], {"train": [], "val": [], "test": []}
    k = 0
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        for i in range(n):
            night = i % 2 == 1
            png, anns, label = _image(rng, size, night, task)
            sid = f"tiny{k:04d}"
            k += 1
            samples.append(Sample(
                id=sid, image=ws.put_bytes(png, "png"), width=size, height=size,
                annotations=anns if task == "detection" else [],
                label=label if task == "classification" else None,
                scenario_id="boxes_on_floor" if i % 3 else "boxes_in_corner",
                variables={"lighting": "night" if night else "day"}, split=split,
                provenance=Provenance(generator="handmade", seed=k)))
            splits[split].append(sid)
    ws.save_samples(samples)
    ds = DatasetVersion(policy_version=1, task=task, class_names=list(COLOURS), splits=splits)
    return ws.save_dataset(ds)
