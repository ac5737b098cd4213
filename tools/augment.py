"""Top up classes that have few real training images with augmented copies (albumentations).

A class with fewer than `min_per_class` real (or already augmented) training images gets
copies of the real training images that contain it: flipped, shifted, scaled, re-lit,
blurred or noised, with the boxes transformed alongside (pascal_voc boxes, `min_visibility`
drops objects pushed mostly out of frame). Copies go to `train` with source "augmented" and
`provenance.parent_sample` naming the original. Test and val images are never used as
parents: the eval set is sacred. Re-running is idempotent (copy ids derive from parent,
seed and copy number, and existing copies count toward the minimum).
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version as pkg_version

import numpy as np
from PIL import Image

from .dataset.progress import progress_bar
from .dataset.versions import policy_labels, sample_classes
from .errors import ValidationError
from .models import Annotation, Policy, Provenance, Sample
from .offline import apply_offline_defaults
from .store import Workspace
from .store.files import content_path

log = logging.getLogger(__name__)

MIN_VISIBILITY = 0.3  # an object less than 30% in frame after the transform is dropped


@dataclass
class AugmentResult:
    """What augmentation did, per class counts of training images before and after."""

    created: list[str] = field(default_factory=list)
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    no_source: list[str] = field(default_factory=list)  # short classes without a real parent


def build_transform(seed: int, *, boxes: bool = True):
    """The augmentation pipeline: geometry mild enough that labels stay true."""
    apply_offline_defaults()  # albumentations checks PyPI for updates on import otherwise
    import albumentations as A

    ops = [
        A.HorizontalFlip(p=0.5),
        A.Affine(scale=(0.85, 1.15), translate_percent=(-0.08, 0.08), rotate=(-8, 8), p=0.7),
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.7),
        A.HueSaturationValue(hue_shift_limit=8, sat_shift_limit=20, val_shift_limit=15, p=0.5),
        A.OneOf([A.GaussianBlur(blur_limit=(3, 5)), A.GaussNoise(std_range=(0.02, 0.08))], p=0.3),
    ]
    bbox = A.BboxParams(format="pascal_voc", label_fields=["classes"],
                        min_visibility=MIN_VISIBILITY, clip=True) if boxes else None
    compose = A.Compose(ops, bbox_params=bbox)
    # Compose(seed=s) seeds every op with the same s, so their "apply?" draws coincide and
    # about a quarter of copies come out unchanged; one shared stream keeps them independent
    compose.set_random_state(np.random.default_rng(seed), random.Random(seed))
    return compose


def augment_image(image: np.ndarray, annotations: Sequence[Annotation], transform
                  ) -> tuple[np.ndarray, list[Annotation]]:
    """Apply `transform` (an albumentations Compose with pascal_voc bbox_params and a
    `classes` label field) to an HxWx3 image and its pixel-xyxy annotations."""
    h, w = image.shape[:2]
    boxes = [tuple(min(max(v, 0.0), lim) for v, lim in zip(a.box, (w, h, w, h), strict=True))
             for a in annotations]
    out = transform(image=image, bboxes=boxes, classes=list(range(len(annotations))))
    anns = []
    for box, idx in zip(out.get("bboxes", []), out.get("classes", []), strict=True):
        x0, y0, x1, y1 = (round(float(v), 3) for v in box)  # float32 noise off
        if x0 < x1 and y0 < y1:
            src = annotations[int(idx)]
            anns.append(Annotation(cls=src.cls, box=(x0, y0, x1, y1), occluded=src.occluded,
                                   truncated=src.truncated))
    return out["image"], anns


def _copy_id(parent: str, seed: int, k: int) -> str:
    return "aug-" + hashlib.sha256(f"{parent}:{seed}:{k}".encode()).hexdigest()[:16]


def _load_rgb(ws: Workspace, s: Sample) -> np.ndarray:
    with Image.open(ws.path(s.image)) as im:
        return np.asarray(im.convert("RGB"))


def augment_samples(ws: Workspace, policy: Policy, *, min_per_class: int = 15, seed: int = 0,
                    progress: bool = True) -> AugmentResult:
    """Add augmented copies until every class has `min_per_class` real+augmented training
    images (where real training images of it exist); returns what was made.

    res = augment_samples(ws, ws.get_policy(), min_per_class=15)
    res.before, res.after, res.no_source
    """
    if min_per_class < 1:
        raise ValidationError(f"min_per_class {min_per_class} must be >= 1", "the default is 15")
    task, names = policy.task, policy_labels(policy)
    train = [s for s in ws.iter_samples(split="train") if s.source in ("real", "augmented")]
    parents = sorted((s for s in train if s.source == "real"), key=lambda s: s.id)
    have = {s.id for s in train}
    counts = Counter(c for s in train for c in set(sample_classes(s, task)))
    res = AugmentResult(before={n: counts.get(n, 0) for n in names})
    need = {n: min_per_class - counts.get(n, 0) for n in names if counts.get(n, 0) < min_per_class}
    made: list[tuple[Sample, bytes]] = []
    with progress_bar("augmenting", sum(need.values()), enabled=progress) as advance:
        for cls in list(need):
            pool = [p for p in parents if cls in sample_classes(p, task)]
            if not pool:
                res.no_source.append(cls)
                continue
            k, tries = 0, 0
            while counts[cls] < min_per_class and tries < 4 * min_per_class + 10:
                parent = pool[k % len(pool)]
                sid = _copy_id(parent.id, seed, k)
                k += 1
                if sid in have:
                    continue
                tries += 1
                copy = _make_copy(ws, parent, sid, seed, k - 1, task)
                if copy is None or cls not in sample_classes(copy[0], task):
                    continue  # the transform pushed the object out of frame; try another
                have.add(sid)
                made.append(copy)
                for c in set(sample_classes(copy[0], task)):
                    counts[c] += 1
                advance()
            if len(made) >= 200:
                _store(ws, made, res)
    _store(ws, made, res)
    res.after = {n: counts.get(n, 0) for n in names}
    if res.no_source:
        log.warning("no real training images to augment for: %s", ", ".join(res.no_source))
    return res


def _make_copy(ws: Workspace, parent: Sample, sid: str, seed: int, k: int,
               task: str) -> tuple[Sample, bytes] | None:
    copy_seed = int(hashlib.sha256(sid.encode()).hexdigest()[:8], 16)
    transform = build_transform(copy_seed, boxes=task == "detection")
    image = _load_rgb(ws, parent)
    if task == "detection":
        out, anns = augment_image(image, parent.annotations, transform)
        if parent.annotations and not anns:
            return None
    else:
        out, anns = transform(image=image)["image"], []
    if np.array_equal(out, image):
        return None  # no op fired: a copy identical to its parent teaches nothing
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, format="PNG")
    data = buf.getvalue()
    rel = content_path(data, "png")
    sample = Sample(
        id=sid, image=rel, width=out.shape[1], height=out.shape[0], annotations=anns,
        label=parent.label, scenario_id=parent.scenario_id, variables=dict(parent.variables),
        split="train", source="augmented",
        provenance=Provenance(generator="augment", generator_version=pkg_version("albumentations"),
                              seed=copy_seed, parent_sample=parent.id,
                              note=f"augmented from {parent.id} (copy {k}, run seed {seed})"))
    return sample, data


def _store(ws: Workspace, made: list[tuple[Sample, bytes]], res: AugmentResult) -> None:
    if not made:
        return
    with ws.transaction():
        for _, data in made:
            ws.put_bytes(data, "png")
        ws.save_samples(s for s, _ in made)
    res.created += [s.id for s, _ in made]
    made.clear()
