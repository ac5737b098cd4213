"""The headline numbers of a report, defined once for the loop, the CLI and the evals.

- overall: mAP50 for detection, accuracy for classification (as the report gives it);
- worst class recall: lowest recall among classes with support;
- worst slice recall: lowest recall among per-class slices (axis value × class) with at
  least MIN_SLICE_SUPPORT objects, so one unlucky object does not define the headline;
- worst-5 mean: mean recall of the 5 lowest such slices;
- top slice: the report's own first-ranked per-class slice (its weakness score weighs the
  gap to overall recall against support), which is what people should look at first. When a
  class is missed everywhere, every slice of it has recall 0 and "worst slice" is arbitrary;
  the top slice is not.
"""

from __future__ import annotations

from synthloop.tools.models import MisclassificationReport

MIN_SLICE_SUPPORT = 5


def overall_metric(report: MisclassificationReport) -> tuple[str, float]:
    for key in ("map50", "mAP50", "accuracy", "top1"):
        if key in report.overall:
            return key, float(report.overall[key])
    if report.overall:
        k = next(iter(report.overall))
        return k, float(report.overall[k])
    return "map50", 0.0


def headline(report: MisclassificationReport) -> dict[str, float | str]:
    name, value = overall_metric(report)
    classes = [c for c in report.classes if c.support > 0]
    worst_c = min(classes, key=lambda c: c.recall) if classes else None
    slices = sorted((s for s in report.slices
                     if s.cls is not None and s.support >= MIN_SLICE_SUPPORT and s.axis != "scenario"),
                    key=lambda s: (s.recall, -s.support))
    worst5 = slices[:5]
    ranked = [s for s in report.slices if s.cls is not None and s.axis != "scenario"]
    top = ranked[0] if ranked else None
    return {
        "overall_name": name,
        "overall": round(value, 4),
        "worst_class": worst_c.name if worst_c else "-",
        "worst_class_recall": round(worst_c.recall, 4) if worst_c else 0.0,
        "worst_slice": slices[0].key() if slices else "-",
        "worst_slice_recall": round(slices[0].recall, 4) if slices else 0.0,
        "worst5_slice_recall": round(sum(s.recall for s in worst5) / len(worst5), 4) if worst5 else 0.0,
        "top_slice": top.key() if top else "-",
        "top_slice_recall": round(top.recall, 4) if top else 0.0,
    }
