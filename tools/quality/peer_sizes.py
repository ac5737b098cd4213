"""How big an unlabelled object of a class can be, given the labels of that class beside it.

Two objects of one class in one image are not of independent sizes: in a photograph their
heights follow the ground plane (the one whose feet stand lower is nearer and larger), in
a rendered world they may share one distance. How strongly is learnt from the labels, per
class: over every pair of labels of the class in one image, the log ratio of their
heights (and of their widths) against the difference of their foot lines (bottom edges,
as a share of the image height), a line through the origin fitted by least squares, and
the spread of what the line leaves unexplained (its `tail` and 1 - `tail` quantiles). A
candidate for an unlabelled object (the crop verifier's detector boxes) is then checked
against each label of its class in its image: a sign framed as a "person" at half the
size of the person beside it, on the same ground, is not a person of this data. A
dataset whose pairs vary widely learns a wide range and the check lets nearly
everything through; a class with too few pairs learns nothing and lets everything
through.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..models import Sample

Box = tuple[float, float, float, float]


def _log_ratios(a: Box, b: Box, height: float) -> tuple[float, float, float] | None:
    """(log height ratio, log width ratio, foot-line difference / image height) of a to b."""
    ha, hb, wa, wb = a[3] - a[1], b[3] - b[1], a[2] - a[0], b[2] - b[0]
    if min(ha, hb, wa, wb) <= 0:
        return None
    return math.log(ha / hb), math.log(wa / wb), (a[3] - b[3]) / max(1.0, height)


def peer_sizes(samples: Iterable[Sample], tail: float = 0.02, min_pairs: int = 20
               ) -> dict[str, tuple[float, float, float, float, float, float]]:
    """Per class with at least `min_pairs` pairs of labels in one image: (slope, lo, hi) of
    the log height ratio and then of the log width ratio against the foot-line
    difference, lo and hi the `tail` quantiles of what the slope leaves unexplained."""
    seen: dict[str, list[tuple[float, float, float]]] = {}
    for s in samples:
        by_cls: dict[str, list[Box]] = {}
        for a in s.annotations:
            by_cls.setdefault(a.cls, []).append(a.box)
        for cls, boxes in by_cls.items():
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    r = _log_ratios(a, b, s.height)
                    if r is not None:  # both orders: the fit is symmetric
                        seen.setdefault(cls, []).extend([r, (-r[0], -r[1], -r[2])])
    out = {}
    for cls, rows in seen.items():
        if len(rows) < 2 * min_pairs:
            continue
        arr = np.array(rows)
        d = arr[:, 2]
        fit = []
        for col in (0, 1):
            slope = float(d @ arr[:, col] / (d @ d)) if d @ d > 1e-12 else 0.0
            rest = arr[:, col] - slope * d
            fit += [slope, float(np.quantile(rest, tail)), float(np.quantile(rest, 1 - tail))]
        out[cls] = tuple(fit)
    return out


def fits_peers(sample: Sample, cls: str, box: Box, peers: dict, slack: float = 0.1) -> bool:
    """Whether `box`, a candidate of `cls`, has a size that at least one label of `cls` in
    `sample` allows (peer_sizes, each range grown by `slack` on the log scale); True when
    the class learnt nothing or the image has no label of it."""
    fit = peers.get(cls)
    own = [a.box for a in sample.annotations if a.cls == cls]
    if fit is None or not own:
        return True
    for b in own:
        r = _log_ratios(box, b, sample.height)
        if r is None:
            continue
        rest = [r[col] - fit[3 * col] * r[2] for col in (0, 1)]
        if all(fit[3 * col + 1] - slack <= rest[col] <= fit[3 * col + 2] + slack for col in (0, 1)):
            return True
    return False


def peer_boxes(sample: Sample, cls: str, box: Box, peers: dict) -> list[Box]:
    """Boxes of the size each label of `cls` in `sample` predicts (peer_sizes, the middle
    of the learnt range) for an object at `box`: anchored at its bottom centre (its foot
    line) and at its centre. A detector's box of a faint object is often of the wrong
    size; framed at the size its neighbours give, the crop shows it whole."""
    fit = peers.get(cls)
    if fit is None:
        return []
    out: list[Box] = []
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for a in (a.box for a in sample.annotations if a.cls == cls):
        d = (box[3] - a[3]) / max(1.0, float(sample.height))
        h = (a[3] - a[1]) * math.exp(fit[0] * d + (fit[1] + fit[2]) / 2)
        w = (a[2] - a[0]) * math.exp(fit[3] * d + (fit[4] + fit[5]) / 2)
        if h <= 0 or w <= 0:
            continue
        out.append((cx - w / 2, box[3] - h, cx + w / 2, box[3]))
        out.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return out
