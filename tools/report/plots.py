"""Report pictures as PNG bytes: confusion-matrix heatmap, per-class bars, slice heatmap.

Figures are built with matplotlib's object API on the Agg canvas (no pyplot state, no
display needed), so this works headless and from threads.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..models import MisclassificationReport

PALETTE = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
    (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
]


def class_color(index: int) -> tuple[int, int, int]:
    """A stable RGB colour for the class at `index` (20 distinct, then repeating)."""
    return PALETTE[index % len(PALETTE)]


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def plot_confusion(report: MisclassificationReport) -> bytes:
    """Heatmap of the confusion matrix (rows true, columns predicted), row-normalised
    colours with the raw counts written in each non-empty cell."""
    cm = report.confusion
    if cm is None or not cm.labels:
        raise ValueError("the report has no confusion matrix")
    m = np.array(cm.matrix, dtype=float)
    rows = m.sum(axis=1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    n = len(cm.labels)
    size = max(4.0, 0.45 * n + 2)
    fig = Figure(figsize=(size + 1, size))
    ax = fig.add_subplot()
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), cm.labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), cm.labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 25:
        for i in range(n):
            for j in range(n):
                if m[i, j]:
                    ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.6 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the true row")
    ax.set_title("Confusion matrix")
    return _png(fig)


def plot_class_bars(report: MisclassificationReport) -> bytes:
    """Grouped bars per class: recall, precision and (detection) mAP50, with support."""
    classes = report.classes
    if not classes:
        raise ValueError("the report has no classes")
    metrics = [("recall", "recall"), ("precision", "precision")]
    if any(c.map50 is not None for c in classes):
        metrics.append(("map50", "mAP50"))
    x = np.arange(len(classes))
    w = 0.8 / len(metrics)
    fig = Figure(figsize=(max(5.0, 0.6 * len(classes) + 2), 4))
    ax = fig.add_subplot()
    for k, (attr, label) in enumerate(metrics):
        vals = [getattr(c, attr) or 0.0 for c in classes]
        ax.bar(x + (k - (len(metrics) - 1) / 2) * w, vals, w, label=label)
    ax.set_xticks(x, [f"{c.name}\n(n={c.support})" for c in classes], rotation=45, ha="right",
                  fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.axhline(report.overall.get("recall", 0.0), color="grey", lw=0.8, ls="--",
               label="overall recall")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Per class")
    return _png(fig)


def slice_matrix(report: MisclassificationReport, max_rows: int = 60):
    """(row labels 'axis=value', class names, recall matrix with NaN where a class has no
    objects in the slice). Rows are sorted by axis then value; at most `max_rows` rows,
    keeping those of the worst slices when there are more."""
    names = [c.name for c in report.classes]
    col = {n: j for j, n in enumerate(names)}
    overall = {(s.axis, s.value): s for s in report.slices if s.cls is None}
    keep = list(overall)
    if len(keep) > max_rows:  # slices are sorted worst first: keep the rows seen first
        keep = list(dict.fromkeys((s.axis, s.value) for s in report.slices))[:max_rows]
    keep.sort()
    row = {k: i for i, k in enumerate(keep)}
    m = np.full((len(keep), len(names)), np.nan)
    for s in report.slices:
        k = (s.axis, s.value)
        if s.cls is not None and k in row and s.support and s.cls in col:
            m[row[k], col[s.cls]] = s.recall
    return [f"{a}={v}" for a, v in keep], names, m


def plot_slice_heatmap(report: MisclassificationReport, max_rows: int = 60) -> bytes:
    """Heatmap of recall per slice (axis=value rows) and class (columns); blank where the
    class has no objects in that slice."""
    rows, cols, m = slice_matrix(report, max_rows)
    if not rows or not cols:
        raise ValueError("the report has no slices")
    fig = Figure(figsize=(max(5.0, 0.5 * len(cols) + 3), max(3.0, 0.28 * len(rows) + 1.5)))
    ax = fig.add_subplot()
    ax.set_facecolor("#d9d9d9")  # cells without objects: grey, named in the legend below
    im = ax.imshow(np.ma.masked_invalid(m), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    if m.size <= 600:
        for i, j in zip(*np.nonzero(~np.isnan(m)), strict=True):
            ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, fraction=0.046, label="recall (grey: no objects of the class there)")
    ax.set_title("Recall per slice × class")
    return _png(fig)


def plot_epochs(epochs: list[dict[str, float]]) -> bytes:
    """Training curves: train losses and validation mAP50 (or top-1 accuracy) per epoch."""
    if not epochs:
        raise ValueError("no epochs to plot")
    fig = Figure(figsize=(8, 3.2))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    xs = [e.get("epoch", i + 1) for i, e in enumerate(epochs)]
    for key in sorted({k for e in epochs for k in e if k.startswith("train/")}):
        ax1.plot(xs, [e.get(key, math.nan) for e in epochs], label=key[6:])
    ax1.set_title("train loss")
    ax1.legend(fontsize=7)
    for key in ("mAP50", "mAP50-95", "accuracy_top1"):
        if any(key in e for e in epochs):
            ax2.plot(xs, [e.get(key, math.nan) for e in epochs], label=key)
    ax2.set_ylim(0, 1)
    ax2.set_title("validation")
    ax2.legend(fontsize=7)
    return _png(fig)
