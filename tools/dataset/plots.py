"""A dataset version as a picture: objects (or images) per class, one bar group per split."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..models import DatasetVersion


def plot_class_counts(ds: DatasetVersion, counts: dict[str, dict[str, int]]) -> bytes:
    """PNG bytes of grouped bars: per class, one bar per split. `counts` is what
    `describe_dataset` returns (split -> {"images": n, class: count})."""
    splits = [s for s in counts if counts[s].get("images")]
    names = ds.class_names
    fig = Figure(figsize=(max(5.0, 0.9 * len(names) + 2), 3.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(names))
    width = 0.8 / max(1, len(splits))
    for i, split in enumerate(splits):
        vals = [counts[split].get(n, 0) for n in names]
        bars = ax.bar(x + (i - (len(splits) - 1) / 2) * width, vals, width,
                      label=f"{split} ({counts[split]['images']} images)")
        ax.bar_label(bars, fontsize=7)
    ax.set_xticks(x, names, rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    ax.set_ylabel("images" if ds.task == "classification" else "objects")
    ax.set_title(f"dataset {ds.id} — test holdout: {ds.holdout}", fontsize=10)
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()
