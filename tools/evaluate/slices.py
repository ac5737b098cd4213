"""Per-slice metrics: images grouped by each variable value and by scenario, exactly as
recorded on the samples (never inferred from pixels), overall and crossed with each class."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Sample, SliceMetrics
from .ranking import excess_misses, weakness_score, wilson_interval

SCENARIO_AXIS = "scenario"


@dataclass
class ImageTally:
    """Per-class counts for one eval image: ground truth, true positives and false
    positives (for classification: the image label, 1 if right, the wrong label)."""

    sample: Sample
    gt: Counter = field(default_factory=Counter)
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)


def slice_keys(sample: Sample) -> list[tuple[str, str]]:
    """The (axis, value) slices an image belongs to: one per variable, plus its scenario."""
    keys = [(axis, str(value)) for axis, value in sorted(sample.variables.items())
            if axis != SCENARIO_AXIS]
    if sample.scenario_id:
        keys.append((SCENARIO_AXIS, sample.scenario_id))
    return keys


def _metrics(axis: str, value: str, cls: str | None, n_images: int, support: int, tp: int,
             fp: int, reference: float) -> SliceMetrics:
    return SliceMetrics(
        axis=axis, value=value, cls=cls, n_images=n_images, support=support, tp=tp,
        fn=support - tp, fp=fp,
        recall=tp / support if support else 0.0,
        recall_ci=wilson_interval(tp, support),
        precision=tp / (tp + fp) if tp + fp else 0.0,
        score=round(weakness_score(tp, support, reference), 6),
    )


def compute_slices(tallies: Iterable[ImageTally], class_names: list[str],
                   reference_recall: float) -> list[SliceMetrics]:
    """Metrics for every slice with any ground truth or false positive, worst first.

    A class-restricted slice is listed when the class has objects (or false positives) in
    it. Sorting: score, then excess misses, then support (all descending), then the key.
    """
    groups: dict[tuple[str, str], list[ImageTally]] = defaultdict(list)
    for t in tallies:
        for key in slice_keys(t.sample):
            groups[key].append(t)
    out: list[SliceMetrics] = []
    for (axis, value), members in groups.items():
        gt, tp, fp = Counter(), Counter(), Counter()
        for t in members:
            gt.update(t.gt)
            tp.update(t.tp)
            fp.update(t.fp)
        out.append(_metrics(axis, value, None, len(members), sum(gt.values()),
                            sum(tp.values()), sum(fp.values()), reference_recall))
        for cls in class_names:
            if gt[cls] or fp[cls]:
                n_img = sum(1 for t in members if t.gt[cls] or t.fp[cls])
                out.append(_metrics(axis, value, cls, n_img, gt[cls], tp[cls], fp[cls],
                                    reference_recall))
    return rank_slices(out, reference_recall)


def rank_slices(slices: list[SliceMetrics], reference_recall: float) -> list[SliceMetrics]:
    """Sort worst first by the weakness score (see ranking.py)."""
    return sorted(slices, key=lambda s: (-s.score, -excess_misses(s.tp, s.support, reference_recall),
                                         -s.support, s.key()))
