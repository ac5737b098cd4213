"""The crops the object-crop verifier learns from and judges (tools/quality/crops.py).

Every labelled box becomes one crop (the box plus a margin of context, resized to a square
of `size` pixels) labelled with its class. Background crops teach the model what a box
that frames nothing looks like: boxes of a label's own size placed (a) anywhere, (b) next
to the label, overlapping it a little (a box slid off its object), and (c) inside another
labelled object (a head without its hat, a torso without its vest). Candidate windows for
unlabelled objects follow where a class appears (the policy's `appears`): objects worn or
held are looked for inside and around the labelled people, people and standalone objects
across the whole image, at the sizes the labels of that class have.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image

from ..models import Sample

Box = tuple[float, float, float, float]
WORN = ("worn_on_head", "worn_on_body", "held")


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def crop_array(image: Image.Image, boxes: Sequence[Box], size: int, margin: float) -> np.ndarray:
    """uint8 array (n, size, size, 3): each box grown by `margin` of its width and height on
    every side (outside the image is black), resized to size x size."""
    out = np.zeros((len(boxes), size, size, 3), np.uint8)
    for i, b in enumerate(boxes):
        w, h = b[2] - b[0], b[3] - b[1]
        region = (round(b[0] - margin * w), round(b[1] - margin * h),
                  round(b[2] + margin * w), round(b[3] + margin * h))
        if region[2] <= region[0] or region[3] <= region[1]:
            continue
        out[i] = np.asarray(image.crop(region).resize((size, size), Image.BILINEAR))
    return out


def background_boxes(sample: Sample, rng: random.Random, per_label: int = 3,
                     tries: int = 20) -> list[Box]:
    """Up to `per_label` background boxes per label, of that label's size: anywhere, slid
    off it, and inside another labelled object; none overlaps a label of the same class at
    IoU >= 0.2 or any label at IoU >= 0.5."""
    W, H = sample.width, sample.height
    anns = sample.annotations
    out: list[Box] = []
    for a in anns:
        x0, y0, x1, y1 = a.box
        w, h = x1 - x0, y1 - y0
        for k in range(per_label):
            for _ in range(tries):
                if k % 3 == 0:
                    nx, ny = rng.uniform(0, max(1.0, W - w)), rng.uniform(0, max(1.0, H - h))
                elif k % 3 == 1:
                    ang, r = rng.uniform(0, 2 * math.pi), rng.uniform(0.6, 1.3)
                    nx, ny = x0 + math.cos(ang) * r * w, y0 + math.sin(ang) * r * h
                else:
                    o = anns[rng.randrange(len(anns))].box
                    nx = rng.uniform(o[0] - w / 2, o[2] - w / 2)
                    ny = rng.uniform(o[1] - h / 2, o[3] - h / 2)
                nb = (nx, ny, nx + w, ny + h)
                if (all(iou(nb, o.box) < 0.2 for o in anns if o.cls == a.cls)
                        and all(iou(nb, o.box) < 0.5 for o in anns)):
                    out.append(nb)
                    break
    return out


def hard_negatives(sample: Sample, proposals, k: int) -> list[Box]:
    """The `k` surest of a detector's boxes on a sample it was trained on (`proposals`,
    anything with .cls, .box, .conf) that frame no label of their class (IoU < 0.2) and no
    label much (IoU < 0.5): what it mistakes for an object there (a bag, a sign, a cone),
    learnt as background."""
    anns = sample.annotations
    keep = [p for p in proposals if p.box is not None
            and all(iou(p.box, a.box) < 0.2 for a in anns if a.cls == p.cls)
            and all(iou(p.box, a.box) < 0.5 for a in anns)]
    return [tuple(p.box) for p in sorted(keep, key=lambda p: -p.conf)[:k]]


def jittered_boxes(sample: Sample, rng: random.Random, min_iou: float = 0.65,
                   tries: int = 10) -> list[tuple[int, Box]]:
    """One loosely framed copy of each label (IoU >= `min_iou` with it, still of its class),
    so that a scan window that frames an object only roughly is still recognised."""
    out: list[tuple[int, Box]] = []
    for j, a in enumerate(sample.annotations):
        x0, y0, x1, y1 = a.box
        w, h = x1 - x0, y1 - y0
        for _ in range(tries):
            s = rng.uniform(0.85, 1.15)
            nw, nh = w * s, h * rng.uniform(0.85, 1.15)
            cx, cy = (x0 + x1) / 2 + rng.uniform(-0.15, 0.15) * w, (y0 + y1) / 2 + rng.uniform(-0.15, 0.15) * h
            nb = (cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2)
            if iou(nb, a.box) >= min_iou:
                out.append((j, nb))
                break
    return out


def worn_erased(image: Image.Image, sample: Sample, appears: dict[str, str],
                carrier: str = "person") -> tuple[Image.Image, list[int]] | None:
    """A copy of `image` with every worn or held object on a carrier inpainted away
    (OpenCV's Telea inpainting: filled in from what surrounds it), and the indices of the
    carriers that lost one: a person without a hat or vest. Labels of people mostly come
    with their equipment, so a crop model learns the hat and vest as the look of a person
    and misses people who wear none; these copies teach the person without them. None
    when nothing is worn."""
    import cv2

    anns = sample.annotations
    people = [j for j, a in enumerate(anns) if appears.get(a.cls) == carrier]
    worn = [a.box for a in anns if appears.get(a.cls) in WORN]
    if not people or not worn:
        return None
    arr = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    mask = np.zeros(arr.shape[:2], np.uint8)
    lost = []
    for j in people:
        on = [w for w in worn if _inside(w, anns[j].box) >= 0.6]
        for w in on:
            x0, y0 = max(0, int(w[0])), max(0, int(w[1]))
            x1, y1 = min(arr.shape[1], math.ceil(w[2])), min(arr.shape[0], math.ceil(w[3]))
            mask[y0:y1, x0:x1] = 255
        if on:
            lost.append(j)
    if not lost or not mask.any():
        return None
    return Image.fromarray(cv2.inpaint(arr, mask, 3, cv2.INPAINT_TELEA)), lost


def looks_swapped(image: Image.Image, sample: Sample, appears: dict[str, str],
                  carrier: str = "person") -> list[tuple[Image.Image, Box, str]]:
    """For each label of an object that is not a carrier, the image with that box painted
    over by another class's object of the same image (resized to fit), with the box and the
    class whose look it now has: a hat with a vest's look is a vest to the eye, wherever
    it sits. Taught so, the crop model judges an object by its look, not by its place."""
    anns = [a for a in sample.annotations if appears.get(a.cls) != carrier]
    out = []
    for a in anns:
        donor = next((d for d in anns if d.cls != a.cls), None)
        if donor is None:
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in a.box)
        dx0, dy0, dx1, dy1 = (int(round(v)) for v in donor.box)
        if x1 - x0 < 2 or y1 - y0 < 2 or dx1 - dx0 < 2 or dy1 - dy0 < 2:
            continue
        patch = image.crop((dx0, dy0, dx1, dy1)).resize((x1 - x0, y1 - y0), Image.BILINEAR)
        copy = image.copy()
        copy.paste(patch, (x0, y0))
        out.append((copy, a.box, donor.cls))
    return out


def _inside(a: Box, b: Box) -> float:
    """Share of box a inside box b."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / max(1e-9, (a[2] - a[0]) * (a[3] - a[1]))


def relative_parts(samples: Iterable[Sample], appears: dict[str, str],
                   carrier: str = "person") -> dict[str, Box]:
    """Per worn or held class, where its labels sit inside the carrier that holds them, as
    the median box relative to the carrier's (0..1 in each axis), learnt from the labels."""
    rel: dict[str, list[Box]] = {}
    for s in samples:
        people = [a.box for a in s.annotations if appears.get(a.cls) == carrier]
        for a in s.annotations:
            if appears.get(a.cls) not in WORN or not people:
                continue
            b = max(people, key=lambda p: _inside(a.box, p))
            if _inside(a.box, b) < 0.6:
                continue
            w, h = b[2] - b[0], b[3] - b[1]
            rel.setdefault(a.cls, []).append(((a.box[0] - b[0]) / w, (a.box[1] - b[1]) / h,
                                              (a.box[2] - b[0]) / w, (a.box[3] - b[1]) / h))
    return {c: tuple(float(np.median([r[k] for r in rs])) for k in range(4))
            for c, rs in rel.items() if len(rs) >= 3}


def absent_boxes(sample: Sample, parts: dict[str, Box], appears: dict[str, str],
                 carrier: str = "person") -> list[Box]:
    """Where each worn class would be on each carrier that has no label of it: a head
    without a hat, a torso without a vest. Background crops that look most like the
    object and are not it, the hardest and most useful negatives."""
    out: list[Box] = []
    for p in (a.box for a in sample.annotations if appears.get(a.cls) == carrier):
        w, h = p[2] - p[0], p[3] - p[1]
        for cls, r in parts.items():
            b = (p[0] + r[0] * w, p[1] + r[1] * h, p[0] + r[2] * w, p[1] + r[3] * h)
            if not any(a.cls == cls and (_inside(a.box, b) >= 0.3 or _inside(b, a.box) >= 0.3)
                       for a in sample.annotations):
                out.append(b)
    return out


def class_sizes(samples: Iterable[Sample]) -> dict[str, list[tuple[float, float]]]:
    """Per class, three typical (width, height) pairs: the quartiles of its labels."""
    seen: dict[str, list[tuple[float, float]]] = {}
    for s in samples:
        for a in s.annotations:
            seen.setdefault(a.cls, []).append((a.box[2] - a.box[0], a.box[3] - a.box[1]))
    out = {}
    for cls, wh in seen.items():
        wh.sort(key=lambda t: t[0] * t[1])
        out[cls] = [wh[min(len(wh) - 1, int(q * len(wh)))] for q in (0.25, 0.5, 0.75)]
    return out


def class_shapes(samples: Iterable[Sample], tail: float = 0.02
                 ) -> dict[str, tuple[float, float, float, float]]:
    """Per class, the range of its labels' shapes: the `tail` and 1 - `tail` quantiles of
    log(height / width) and of log(area / image area), as (aspect lo, hi, area lo, hi)."""
    seen: dict[str, list[tuple[float, float]]] = {}
    for s in samples:
        image = max(1.0, float(s.width * s.height))
        for a in s.annotations:
            w, h = a.box[2] - a.box[0], a.box[3] - a.box[1]
            if w > 0 and h > 0:
                seen.setdefault(a.cls, []).append((math.log(h / w), math.log(w * h / image)))
    out = {}
    for cls, v in seen.items():
        if len(v) < 10:
            continue
        arr = np.array(v)
        lo, hi = np.quantile(arr, tail, axis=0), np.quantile(arr, 1 - tail, axis=0)
        out[cls] = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    return out


def fits_shape(sample: Sample, cls: str, box: Box, shapes: dict, slack: float = 0.25) -> bool:
    """Whether `box` has the aspect and size of `cls`'s labels (class_shapes), each range
    grown by `slack` on the log scale (0.25: about a quarter); any box for a class with too
    few labels to tell."""
    r = shapes.get(cls)
    w, h = box[2] - box[0], box[3] - box[1]
    if r is None:
        return True
    if w <= 0 or h <= 0:
        return False
    aspect, area = math.log(h / w), math.log(w * h / max(1.0, float(sample.width * sample.height)))
    return r[0] - slack <= aspect <= r[1] + slack and r[2] - 2 * slack <= area <= r[3] + 2 * slack


def scan_windows(sample: Sample, sizes: dict[str, list[tuple[float, float]]],
                 appears: dict[str, str], stride: float = 0.34,
                 carrier: str = "person") -> list[tuple[str, Box]]:
    """(class, window) candidates for unlabelled objects of each class: worn or held
    classes inside and around each labelled `carrier` box, others across the image."""
    W, H = sample.width, sample.height
    carriers = [a.box for a in sample.annotations if appears.get(a.cls) == carrier]
    out: list[tuple[str, Box]] = []
    for cls, whs in sizes.items():
        own = [(a.box[2] - a.box[0], a.box[3] - a.box[1]) for a in sample.annotations if a.cls == cls]
        where = appears.get(cls)
        regions: list[Box]
        if where in WORN:
            regions = [_part(b, where) for b in carriers]
            whs = own[:2] + whs[1:2]  # on one person: the scale of that image matters most
        else:
            regions = [(0.0, 0.0, float(W), float(H))]
            whs = own[:2] + whs
        for w, h in {(round(w / 4) * 4, round(h / 4) * 4) for w, h in whs}:
            if w < 4 or h < 4:
                continue
            sx, sy = max(2.0, stride * w), max(2.0, stride * h)
            for r in regions:
                y = max(0.0, r[1])
                while y + h <= min(float(H), r[3]) + 0.5 * h:
                    x = max(0.0, r[0])
                    while x + w <= min(float(W), r[2]) + 0.5 * w:
                        out.append((cls, (x, y, x + w, y + h)))
                        x += sx
                    y += sy
    return out


def on_a_carrier(sample: Sample, cls: str, box: Box, appears: dict[str, str],
                 carrier: str = "person", parts: dict[str, Box] | None = None,
                 slack: float = 0.5) -> bool:
    """Whether an unlabelled candidate of `cls` stands where that class can be: anywhere
    for people and standalone objects, mostly inside the head, body or hand region of a
    labelled carrier for a worn or held class (the regions the scan looks in). With
    `parts` (relative_parts: where the labels of each worn class sit on their carrier), a
    worn candidate's centre must also fall in that class's place on a carrier, grown by
    `slack` of its size on every side: a hat is looked for at the head, not on the chest."""
    where = appears.get(cls)
    if where not in WORN:
        return True
    people = [a.box for a in sample.annotations if appears.get(a.cls) == carrier]
    rel = (parts or {}).get(cls)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for p in people:
        if _inside(box, _part(p, where)) < 0.5:
            continue
        if rel is None:
            return True
        w, h = p[2] - p[0], p[3] - p[1]
        ex = (p[0] + rel[0] * w, p[1] + rel[1] * h, p[0] + rel[2] * w, p[1] + rel[3] * h)
        gw, gh = slack * (ex[2] - ex[0]), slack * (ex[3] - ex[1])
        if ex[0] - gw <= cx <= ex[2] + gw and ex[1] - gh <= cy <= ex[3] + gh:
            return True
    return False


def reframed(box: Box, step: float = 0.1, scale: float = 0.1) -> list[Box]:
    """The 27 boxes around `box`: moved by -step, 0, +step of its width and height in each
    axis, and scaled by 1 - scale, 1, 1 + scale (a low-confidence detector box frames its
    object only roughly; the best of these frames it better)."""
    w, h = box[2] - box[0], box[3] - box[1]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    out = []
    for f in (1 - scale, 1.0, 1 + scale):
        for dx in (-step, 0.0, step):
            for dy in (-step, 0.0, step):
                x, y, nw, nh = cx + dx * w, cy + dy * h, w * f / 2, h * f / 2
                out.append((x - nw, y - nh, x + nw, y + nh))
    return out


def _part(b: Box, where: str) -> Box:
    """The part of a carrier's box where a worn or held object would be."""
    w, h = b[2] - b[0], b[3] - b[1]
    if where == "worn_on_head":
        return (b[0] - 0.25 * w, b[1] - 0.1 * h, b[2] + 0.25 * w, b[1] + 0.35 * h)
    if where == "worn_on_body":
        return (b[0] - 0.1 * w, b[1] + 0.1 * h, b[2] + 0.1 * w, b[1] + 0.85 * h)
    return (b[0] - 0.25 * w, b[1], b[2] + 0.25 * w, b[3])


def nms(cands: list[tuple[float, str, Box]], thr: float = 0.3) -> list[tuple[float, str, Box]]:
    """Greedy non-maximum suppression per class, best score first."""
    kept: list[tuple[float, str, Box]] = []
    for c in sorted(cands, key=lambda t: -t[0]):
        if all(k[1] != c[1] or iou(k[2], c[2]) < thr for k in kept):
            kept.append(c)
    return kept
