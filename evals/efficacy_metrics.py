"""The loop-efficacy benchmark's numbers: per report, per arm over seeds, and the headline.

Why the benchmark does not rank slices the way the loop's headline does
(agent/metrics.py takes the lowest recall among *per-class* slices with >= 5 objects):
on a holdout of a few hundred images there are ~75 such slices, many with 5-15 objects,
so the minimum is mostly chance and a class that is weak everywhere (small hard hats)
pins it at 0.0 for every arm. The benchmark therefore measures slices pooled over the
classes (all objects of the images with `axis=value`), keeps those with at least
MIN_SUPPORT objects, and takes their minimum and the mean of the lowest five. The holdout
is the same for every arm of a seed, so this slice set is the same for every arm and
iteration (a fixed set; only which of them is lowest may change). The loop's own headline
numbers are kept beside them in the JSON (`product_*`).

Gain = final iteration minus iteration 0. Iteration 0 is shared by every arm of a seed
(the arms fork after it), so gains are paired. The headline ratio is
mean gain(targeted) / mean gain(uniform) over seeds on worst-slice recall; it is not
defined (None, with the reason) when uniform's mean gain is below MIN_GAIN, because a
ratio over a near-zero denominator says nothing. The paired difference of gains is
reported always.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

from synthloop.agent.metrics import headline
from synthloop.tools.models import MisclassificationReport

MIN_SUPPORT = 20     # objects in a pooled slice for it to count
MIN_GAIN = 0.02      # |uniform gain| below this: the ratio is not defined
METRICS = ("overall", "worst_class_recall", "worst_slice_recall", "worst5_slice_recall")
METRIC_TITLES = {
    "overall": "overall mAP50",
    "worst_class_recall": "worst-class recall",
    "worst_slice_recall": "worst-slice recall (pooled, fixed set)",
    "worst5_slice_recall": "mean recall of the 5 worst slices",
    "tracked_slice_recall": "recall of the slices worst at iteration 0",
}


def pooled_slices(report: MisclassificationReport, min_support: int = MIN_SUPPORT) -> dict[str, float]:
    """Recall of every axis=value slice pooled over classes with enough objects ('scenario'
    slices excluded: they are which objects exist, not conditions of the scene)."""
    return {s.key(): s.recall for s in report.slices
            if s.cls is None and s.axis != "scenario" and s.support >= min_support}


def report_metrics(report: MisclassificationReport, tracked: list[str] | None = None) -> dict[str, Any]:
    """The benchmark's numbers for one report. `tracked` are slice keys whose mean recall
    is followed across iterations (the slices that were worst at iteration 0)."""
    h = headline(report)
    pooled = pooled_slices(report)
    ranked = sorted(pooled.items(), key=lambda kv: (kv[1], kv[0]))
    worst5 = [r for _, r in ranked[:5]]
    out: dict[str, Any] = {
        "overall": float(h["overall"]),
        "worst_class": h["worst_class"],
        "worst_class_recall": float(h["worst_class_recall"]),
        "worst_slice": ranked[0][0] if ranked else "-",
        "worst_slice_recall": round(ranked[0][1], 4) if ranked else 0.0,
        "worst5_slice_recall": round(sum(worst5) / len(worst5), 4) if worst5 else 0.0,
        "product_worst_slice": h["worst_slice"],
        "product_worst_slice_recall": float(h["worst_slice_recall"]),
        "product_worst5_slice_recall": float(h["worst5_slice_recall"]),
        "slices": {k: round(v, 4) for k, v in pooled.items()},
    }
    if tracked:
        vals = [pooled[k] for k in tracked if k in pooled]
        out["tracked_slice_recall"] = round(sum(vals) / len(vals), 4) if vals else 0.0
    return out


def worst_slice_keys(report: MisclassificationReport, n: int = 3) -> list[str]:
    """The `n` pooled slices with the lowest recall (ties by name), worst first."""
    return [k for k, _ in sorted(pooled_slices(report).items(), key=lambda kv: (kv[1], kv[0]))[:n]]


def count_added(variables_of_new_specs: list[dict[str, str]]) -> dict[str, int]:
    """Images added per axis=value slice (an image counts once on each of its axes)."""
    c: Counter[str] = Counter()
    for v in variables_of_new_specs:
        c.update(f"{k}={val}" for k, val in v.items() if k != "scenario")
    return dict(sorted(c.items()))


def spread(values: list[float]) -> dict[str, float | int | None]:
    """Mean, sample standard deviation (None for one value), min and max."""
    vals = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    return {"mean": round(statistics.fmean(vals), 4),
            "std": round(statistics.stdev(vals), 4) if len(vals) > 1 else None,
            "min": round(min(vals), 4), "max": round(max(vals), 4), "n": len(vals)}


def aggregate(runs: list[dict[str, Any]], metrics: tuple[str, ...] = (*METRICS, "tracked_slice_recall")
              ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{arm: {metric: [spread over seeds at iteration 0, 1, ...]}} from finished runs
    (each {"arm", "seed", "iterations": [{"metrics": {...}}, ...]}); failed runs are skipped."""
    by_arm: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        if not r.get("error"):
            by_arm.setdefault(r["arm"], []).append(r)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for arm, rs in by_arm.items():
        n_it = min(len(r["iterations"]) for r in rs)
        out[arm] = {m: [spread([r["iterations"][i]["metrics"].get(m) for r in rs])
                        for i in range(n_it)] for m in metrics}
    return out


def gains(runs: list[dict[str, Any]], metric: str) -> dict[str, dict[int, float]]:
    """{arm: {seed: final - initial}} for `metric` over finished runs."""
    out: dict[str, dict[int, float]] = {}
    for r in runs:
        its = r.get("iterations") or []
        if r.get("error") or len(its) < 2:
            continue
        first, last = its[0]["metrics"].get(metric), its[-1]["metrics"].get(metric)
        if first is None or last is None:
            continue
        out.setdefault(r["arm"], {})[r["seed"]] = round(last - first, 4)
    return out


def headline_ratio(runs: list[dict[str, Any]], targeted: str, *, baseline: str = "uniform",
                   metric: str = "worst_slice_recall", min_gain: float = MIN_GAIN) -> dict[str, Any]:
    """(gain of `targeted`) / (gain of `baseline`) on `metric`, means over seeds, with the
    paired per-seed differences; `ratio` is None, and `note` says why, when it is undefined."""
    g = gains(runs, metric)
    t, b = g.get(targeted, {}), g.get(baseline, {})
    seeds = sorted(set(t) & set(b))
    out: dict[str, Any] = {"targeted": targeted, "baseline": baseline, "metric": metric,
                           "seeds": seeds, "ratio": None, "note": ""}
    if not seeds:
        out["note"] = f"no seed finished both {targeted} and {baseline}"
        return out
    gt = statistics.fmean(t[s] for s in seeds)
    gb = statistics.fmean(b[s] for s in seeds)
    diffs = [round(t[s] - b[s], 4) for s in seeds]
    out.update(gain_targeted=round(gt, 4), gain_baseline=round(gb, 4),
               paired_differences=diffs, difference=spread(diffs),
               targeted_wins=sum(d > 0 for d in diffs))
    if gb < min_gain:
        out["note"] = (f"{baseline}'s mean gain {gb:+.3f} is below {min_gain}: the ratio is not "
                       "defined; read the paired difference instead")
    else:
        out["ratio"] = round(gt / gb, 3)
    return out
