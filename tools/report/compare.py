"""Comparing two misclassification reports: per class and per slice deltas (new - old)."""

from __future__ import annotations

from ..models.report import MetricDelta, MisclassificationReport, ReportComparison

CLASS_METRICS = ("recall", "precision", "map50")
SLICE_METRICS = ("recall", "precision")
LOWER_IS_BETTER = frozenset({"fp_per_image"})
COUNT_KEYS = frozenset({"n_images", "n_objects"})


def _delta(key: str, metric: str, old: float | None, new: float | None, old_support: int = 0,
           new_support: int = 0) -> MetricDelta:
    d = None if old is None or new is None else round(new - old, 6)
    return MetricDelta(key=key, metric=metric, old=old, new=new, delta=d, old_support=old_support,
                       new_support=new_support, higher_is_better=metric not in LOWER_IS_BETTER)


def same_eval_set(old: MisclassificationReport, new: MisclassificationReport) -> bool:
    """Whether both reports scored the same images (by sample id when both list them)."""
    a, b = old.eval_set, new.eval_set
    if (a.kind, a.split, a.n_images) != (b.kind, b.split, b.n_images):
        return False
    if old.images and new.images:
        return {i.sample_id for i in old.images} == {i.sample_id for i in new.images}
    return a.dataset_id == b.dataset_id


def compare_reports(old: MisclassificationReport, new: MisclassificationReport) -> ReportComparison:
    """Deltas from `old` to `new` for the overall metrics, each class (recall, precision,
    mAP50) and each slice present in both (recall, precision), plus a short text.

    A positive delta of a higher-is-better metric is an improvement; `MetricDelta.improved()`
    says so for every metric, including the lower-is-better ones (fp_per_image).
    """
    overall = [_delta("overall", k, old.overall.get(k), new.overall.get(k))
               for k in sorted(set(old.overall) | set(new.overall)) if k not in COUNT_KEYS]
    oc = {c.name: c for c in old.classes}
    nc = {c.name: c for c in new.classes}
    classes = []
    for name in [*nc, *(n for n in oc if n not in nc)]:
        o, n = oc.get(name), nc.get(name)
        for m in CLASS_METRICS:
            ov = getattr(o, m) if o and o.support else None
            nv = getattr(n, m) if n and n.support else None
            if ov is None and nv is None:
                continue
            classes.append(_delta(name, m, ov, nv, o.support if o else 0, n.support if n else 0))
    os_ = {s.key(): s for s in old.slices if s.support}
    ns = {s.key(): s for s in new.slices if s.support}
    slices = [_delta(k, m, getattr(os_[k], m), getattr(ns[k], m), os_[k].support, ns[k].support)
              for k in sorted(set(os_) & set(ns)) for m in SLICE_METRICS]
    cmp = ReportComparison(old_id=old.id, new_id=new.id, same_eval_set=same_eval_set(old, new),
                           overall=overall, classes=classes, slices=slices)
    cmp.text = describe_comparison(cmp)
    return cmp


def _fmt(d: MetricDelta, with_key: bool = True) -> str:
    head = f"{d.key} {d.metric}" if with_key else d.metric
    return f"{head} {d.delta:+.3f} ({d.old:.3f} → {d.new:.3f})"


def _extremes(deltas: list[MetricDelta], metric: str, n: int) -> tuple[list, list]:
    ds = [d for d in deltas if d.metric == metric and d.delta is not None and d.delta != 0]
    ds.sort(key=lambda d: (-d.delta, d.key))
    better = [d for d in ds if d.delta > 0][:n]
    worse = [d for d in reversed(ds) if d.delta < 0][:n]
    return better, worse


def describe_comparison(cmp: ReportComparison, n: int = 3) -> str:
    """A few sentences: overall change, then the classes and slices that moved most."""
    lines = []
    if not cmp.same_eval_set:
        lines.append("Caution: the two reports scored different eval sets; deltas mix model "
                     "and data changes.")
    main = [d for d in cmp.overall if d.delta is not None and d.metric in
            ("recall", "precision", "map50", "worst_class_recall", "accuracy")]
    moved = [d for d in main if d.delta != 0]
    if moved:
        lines.append("Overall: " + "; ".join(_fmt(d, with_key=False) for d in moved) + ".")
    elif main:
        lines.append("Overall: unchanged.")
    for what, deltas in (("Classes", cmp.classes), ("Slices", cmp.slices)):
        better, worse = _extremes(deltas, "recall", n)
        if better:
            lines.append(f"{what} improved most (recall): " + "; ".join(map(_fmt, better)) + ".")
        if worse:
            lines.append(f"{what} regressed most (recall): " + "; ".join(map(_fmt, worse)) + ".")
        if not better and not worse and deltas:
            lines.append(f"{what}: recall unchanged.")
    return "\n".join(lines)
