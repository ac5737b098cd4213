"""Matching predictions to ground truth in one image.

Detection, greedy by confidence, in two passes:

1. each prediction (highest confidence first) takes the unmatched ground-truth box *of its
   own class* with the highest IoU >= the threshold: a true positive;
2. each prediction left over (again highest confidence first) takes the unmatched
   ground-truth box *of any other class* with the highest IoU >= the threshold: a class
   confusion (true, predicted), which counts as a miss for the true class and a false
   positive for the predicted class, as in the usual per-class precision and recall.

Predictions still unmatched are false positives against the background; ground truth still
unmatched is missed. Every object and every prediction lands in exactly one cell of the
confusion matrix (with 'background' as the extra row and column).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..models import Annotation

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Prediction:
    """One model output: a class name, a confidence, and a pixel xyxy box (None for a
    classification label)."""

    cls: str
    conf: float
    box: Box | None = None


@dataclass
class ImageMatch:
    """Indices into the image's ground truth (`gt`) and predictions (`pred`)."""

    tp: list[tuple[int, int]] = field(default_factory=list)
    confusions: list[tuple[int, int]] = field(default_factory=list)
    fp: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in `a` (N, 4) with every box in `b` (M, 4), xyxy; returns (N, M)."""
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(axis=1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_detections(gt: list[Annotation], preds: list[Prediction],
                     iou_threshold: float = 0.5) -> ImageMatch:
    """Match one image's predictions to its ground truth (see the module docstring).

    >>> from synthloop.tools.models import Annotation
    >>> m = match_detections([Annotation(cls="a", box=(0, 0, 10, 10))],
    ...                      [Prediction("a", 0.9, (1, 1, 10, 10))])
    >>> m.tp
    [(0, 0)]
    """
    out = ImageMatch()
    if not preds:
        out.missed = list(range(len(gt)))
        return out
    if any(p.box is None for p in preds):
        raise ValueError("detection matching needs a box on every prediction")
    iou = (box_iou(np.array([a.box for a in gt]), np.array([p.box for p in preds]))
           if gt else np.zeros((0, len(preds))))
    order = sorted(range(len(preds)), key=lambda j: (-preds[j].conf, j))
    gt_free = [True] * len(gt)
    pred_left: list[int] = []
    for same_class in (True, False):
        for j in order if same_class else pred_left:
            best = -1
            for i in range(len(gt)):
                if not gt_free[i] or (gt[i].cls == preds[j].cls) != same_class:
                    continue
                if iou[i, j] >= iou_threshold and (best < 0 or iou[i, j] > iou[best, j]):
                    best = i
            if best >= 0:
                gt_free[best] = False
                (out.tp if same_class else out.confusions).append((best, j))
            elif same_class:
                pred_left.append(j)
            else:
                out.fp.append(j)
    out.missed = [i for i, free in enumerate(gt_free) if free]
    return out
