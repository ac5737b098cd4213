"""The loop-efficacy benchmark's numbers: per report, per arm over seeds, the paired
comparisons with bootstrap intervals, and the pass/fail verdict.

Slices. The benchmark measures axis=value slices *pooled over classes* (all objects of the
images with that value; for classification, all images), keeps those with at least
MIN_SUPPORT objects, and ranks them. It does not use the loop's per-class headline
(agent/metrics.py, per-class slices with >= 5 objects): on a few hundred holdout images
that minimum is mostly chance. The recalls are counted from the report's per-image results
(`report.images`: tp and fn per image, with the image's variables), so that

- the declared *control* slice (a world's pixel-limited `axis=value`, see
  efficacy_worlds.py) is measured on its own, and every other slice is measured on the
  images *without* the control value (otherwise every slice's recall would be pulled
  towards the control's by its share of the holdout);
- the control is excluded from the headline slices: `tracked` (the 3 slices weakest at
  iteration 0, per seed) and the worst slice;
- the loop's own weighted holdout (common conditions) can be scored apart from the
  benchmark's supplements: recall and precision at the report's confidence threshold.
  Its mAP50 is not computed: the report keeps only predictions above that threshold,
  and an mAP from truncated predictions would not be the mAP50 of the model.

A report without per-image results falls back to its pooled `slices` (no control
exclusion possible there).

Gains and comparisons. Gain = final iteration - iteration 0; every arm of a seed forks from
the same iteration 0, so gains are paired by seed. Ratio = mean gain(targeted) / max(mean
gain(uniform), MIN_GAIN) over seeds: when uniform gains less than MIN_GAIN (nothing, or it
loses), its gain is floored there, so a ratio of 2.0 still asks the targeted arm for a gain
of at least 2 x MIN_GAIN rather than dividing by a number near zero or below it (the
result says when the floor was used). The paired difference of gains d_s = gain_t(s) - gain_u(s) gets a
percentile bootstrap 95 % interval of its mean: seeds resampled with replacement, N_BOOT
draws, a fixed RNG seed (so a re-render gives the same interval).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

import numpy as np

from synthloop.agent.metrics import headline
from synthloop.tools.models import MisclassificationReport

MIN_SUPPORT = 20     # objects (classification: images) in a pooled slice for it to count
MIN_GAIN = 0.02      # uniform's mean gain is floored here in the ratio (its noise level)
N_TRACKED = 3        # slices weakest at iteration 0 that are followed
N_BOOT = 10_000
BOOT_SEED = 20261201
# The done-when thresholds the verdict checks (evals/README.md).
THRESHOLDS = {"tracked_ratio": 2.0, "worst_ratio": 1.5, "overall_drop": 0.02, "min_seeds": 5,
              "wall_minutes": 30.0}

METRICS = ("overall", "tracked_slice_recall", "worst_slice_recall", "worst5_slice_recall",
           "control_recall", "loop_holdout_recall", "loop_holdout_precision",
           "worst_class_recall")
METRIC_TITLES = {
    "overall": "overall (mAP50 / accuracy, whole holdout)",
    "tracked_slice_recall": "recall of the slices weakest at iteration 0",
    "worst_slice_recall": "worst-slice recall (pooled, control excluded)",
    "worst5_slice_recall": "mean recall of the 5 worst slices",
    "control_recall": "recall of the control slice",
    "loop_holdout_recall": "recall on the loop's weighted holdout",
    "loop_holdout_precision": "precision on the loop's weighted holdout",
    "worst_class_recall": "worst-class recall",
}
COMPARED = ("tracked_slice_recall", "worst_slice_recall", "overall", "loop_holdout_recall",
            "control_recall", "worst5_slice_recall")


def parse_key(key: str | None) -> tuple[str, str] | None:
    """'axis=value' -> (axis, value); None stays None."""
    if not key:
        return None
    axis, _, value = key.partition("=")
    return axis, value


def slice_counts(report: MisclassificationReport, control: str | None = None
                 ) -> dict[str, tuple[int, int]]:
    """{axis=value: (tp, support)} pooled over classes, from the per-image results; images
    with the control value count only in the control slice. Scenario slices are left out
    (they are which objects exist, not conditions of the scene)."""
    ctrl = parse_key(control)
    tp: Counter[str] = Counter()
    support: Counter[str] = Counter()
    for im in report.images:
        n = im.tp + im.fn
        in_control = ctrl is not None and im.variables.get(ctrl[0]) == ctrl[1]
        for axis, value in im.variables.items():
            if axis == "scenario":
                continue
            key = f"{axis}={value}"
            if in_control and key != control:
                continue
            tp[key] += im.tp
            support[key] += n
    return {k: (tp[k], support[k]) for k in support}


def pooled_slices(report: MisclassificationReport, min_support: int = MIN_SUPPORT,
                  control: str | None = None) -> dict[str, float]:
    """Recall of every pooled axis=value slice with at least `min_support` objects (the
    control slice included, under its own key)."""
    if report.images:
        return {k: tp / n for k, (tp, n) in slice_counts(report, control).items()
                if n >= min_support}
    return {s.key(): s.recall for s in report.slices
            if s.cls is None and s.axis != "scenario" and s.support >= min_support}


def ranked_slices(pooled: dict[str, float], control: str | None = None) -> list[tuple[str, float]]:
    """Pooled slices worst first (ties by name), the control left out."""
    return sorted(((k, v) for k, v in pooled.items() if k != control), key=lambda kv: (kv[1], kv[0]))


def worst_slice_keys(report: MisclassificationReport, n: int = N_TRACKED, *,
                     control: str | None = None) -> list[str]:
    """The `n` pooled slices with the lowest recall, worst first, never the control: the
    tracked slices when taken on iteration 0's report."""
    return [k for k, _ in ranked_slices(pooled_slices(report, control=control), control)[:n]]


def part_scores(report: MisclassificationReport, sample_ids: set[str] | None
                ) -> dict[str, float | int | None]:
    """Recall and precision over the images in `sample_ids` (e.g. the loop's own holdout)
    at the report's confidence threshold; None when there is nothing to score."""
    ims = [im for im in report.images if sample_ids is None or im.sample_id in sample_ids]
    tp = sum(im.tp for im in ims)
    fn = sum(im.fn for im in ims)
    fp = sum(im.fp for im in ims)
    return {"n_images": len(ims),
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None}


def report_metrics(report: MisclassificationReport, tracked: list[str] | None = None, *,
                   control: str | None = None, loop_holdout: set[str] | None = None
                   ) -> dict[str, Any]:
    """The benchmark's numbers for one report. `tracked`: slice keys whose mean recall is
    followed (the slices weakest at iteration 0); `control`: the world's control slice;
    `loop_holdout`: sample ids of the loop's own weighted holdout."""
    h = headline(report)
    pooled = pooled_slices(report, control=control)
    ranked = ranked_slices(pooled, control)
    worst5 = [r for _, r in ranked[:5]]
    out: dict[str, Any] = {
        "overall": float(h["overall"]),
        "overall_name": h["overall_name"],
        "worst_class": h["worst_class"],
        "worst_class_recall": float(h["worst_class_recall"]),
        "worst_slice": ranked[0][0] if ranked else "-",
        "worst_slice_recall": round(ranked[0][1], 4) if ranked else None,
        "worst5_slice_recall": round(sum(worst5) / len(worst5), 4) if worst5 else None,
        "product_worst_slice": h["worst_slice"],
        "product_worst_slice_recall": float(h["worst_slice_recall"]),
        "product_worst5_slice_recall": float(h["worst5_slice_recall"]),
        "slices": {k: round(v, 4) for k, v in pooled.items()},
    }
    if control:
        out["control_slice"] = control
        out["control_recall"] = round(pooled[control], 4) if control in pooled else None
    if loop_holdout is not None:
        scores = part_scores(report, loop_holdout)
        out["loop_holdout_images"] = scores["n_images"]
        out["loop_holdout_recall"] = scores["recall"]
        out["loop_holdout_precision"] = scores["precision"]
    if tracked:
        vals = [pooled[k] for k in tracked if k in pooled]
        out["tracked_slice_recall"] = round(sum(vals) / len(vals), 4) if vals else None
    return out


def count_added(variables_of_new_specs: list[dict[str, str]]) -> dict[str, int]:
    """Images added per axis=value slice (an image counts once on each of its axes)."""
    c: Counter[str] = Counter()
    for v in variables_of_new_specs:
        c.update(f"{k}={val}" for k, val in v.items() if k != "scenario")
    return dict(sorted(c.items()))


def spread(values: list[float | None]) -> dict[str, float | int | None]:
    """Mean, sample standard deviation (None for one value), min and max."""
    vals = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    return {"mean": round(statistics.fmean(vals), 4),
            "std": round(statistics.stdev(vals), 4) if len(vals) > 1 else None,
            "min": round(min(vals), 4), "max": round(max(vals), 4), "n": len(vals)}


def _finished(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs if not r.get("error") and r.get("iterations")]


def aggregate(runs: list[dict[str, Any]], metrics: tuple[str, ...] = METRICS
              ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{arm: {metric: [spread over seeds at iteration 0, 1, ...]}} from finished runs
    (each {"arm", "seed", "iterations": [{"metrics": {...}}, ...]}); failed runs are skipped."""
    by_arm: dict[str, list[dict[str, Any]]] = {}
    for r in _finished(runs):
        by_arm.setdefault(r["arm"], []).append(r)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for arm, rs in by_arm.items():
        n_it = min(len(r["iterations"]) for r in rs)
        out[arm] = {m: [spread([r["iterations"][i]["metrics"].get(m) for r in rs])
                        for i in range(n_it)] for m in metrics}
    return out


def gains(runs: list[dict[str, Any]], metric: str) -> dict[str, dict[int, float]]:
    """{arm: {seed: final - iteration 0}} for `metric` over finished runs."""
    out: dict[str, dict[int, float]] = {}
    for r in _finished(runs):
        its = r["iterations"]
        if len(its) < 2:
            continue
        first, last = its[0]["metrics"].get(metric), its[-1]["metrics"].get(metric)
        if first is None or last is None:
            continue
        out.setdefault(r["arm"], {})[r["seed"]] = round(last - first, 4)
    return out


def bootstrap_mean_ci(values: list[float], *, n_boot: int = N_BOOT, seed: int = BOOT_SEED,
                      level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of `values` (resampled with replacement);
    None for fewer than 2 values (one seed has no spread to resample)."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    if x.size < 2:
        return None
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    a = (1.0 - level) / 2
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return round(float(lo), 4), round(float(hi), 4)


def bootstrap_ratio_ci(targeted: list[float], baseline: list[float], *, min_gain: float = MIN_GAIN,
                       n_boot: int = N_BOOT, seed: int = BOOT_SEED, level: float = 0.95
                       ) -> dict[str, Any] | None:
    """Paired bootstrap of mean(targeted) / max(mean(baseline), min_gain): seeds resampled
    together; draws whose baseline mean is below `min_gain` use the floor and are counted."""
    t, b = np.asarray(targeted, dtype=float), np.asarray(baseline, dtype=float)
    if t.size < 2 or t.size != b.size:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, t.size, size=(n_boot, t.size))
    mt, mb = t[idx].mean(axis=1), b[idx].mean(axis=1)
    floored = mb < min_gain
    a = (1.0 - level) / 2
    lo, hi = np.quantile(mt / np.maximum(mb, min_gain), [a, 1.0 - a])
    return {"ci95": (round(float(lo), 3), round(float(hi), 3)),
            "floored_share": round(float(floored.mean()), 4)}


def compare(runs: list[dict[str, Any]], targeted: str, *, baseline: str = "uniform",
            metric: str = "worst_slice_recall", min_gain: float = MIN_GAIN) -> dict[str, Any]:
    """`targeted` against `baseline` on `metric`, paired by seed: mean gains, their ratio
    (None, with `note`, when undefined), the per-seed differences of gains with a bootstrap
    95 % interval of their mean, and how many seeds `targeted` won."""
    g = gains(runs, metric)
    t, b = g.get(targeted, {}), g.get(baseline, {})
    seeds = sorted(set(t) & set(b))
    out: dict[str, Any] = {"targeted": targeted, "baseline": baseline, "metric": metric,
                           "seeds": seeds, "ratio": None, "note": ""}
    if not seeds:
        out["note"] = f"no seed finished both {targeted} and {baseline}"
        return out
    gt = [t[s] for s in seeds]
    gb = [b[s] for s in seeds]
    diffs = [round(x - y, 4) for x, y in zip(gt, gb, strict=True)]
    mean_b = statistics.fmean(gb)
    out.update(gain_targeted=round(statistics.fmean(gt), 4), gain_baseline=round(mean_b, 4),
               paired_differences=diffs, difference=spread(diffs),
               ci95=bootstrap_mean_ci(diffs), targeted_wins=sum(d > 0 for d in diffs),
               ratio_bootstrap=bootstrap_ratio_ci(gt, gb, min_gain=min_gain))
    if len(seeds) < 2:
        out["note"] = "one seed: no interval"
    if mean_b < min_gain:
        out["note"] = (f"{baseline}'s mean gain {mean_b:+.3f} is below {min_gain}: the ratio "
                       f"divides by {min_gain} (the floor)")
        out["floored"] = True
    out["ratio"] = round(statistics.fmean(gt) / max(mean_b, min_gain), 3)
    return out


headline_ratio = compare  # the name earlier results and callers used


def control_flag_counts(runs: list[dict[str, Any]], arm: str | None = None) -> dict[str, int]:
    """How many finished runs (of `arm`, or all) had the control flagged data-insensitive:
    {"flagged", "not_flagged", "unknown", "n"}."""
    rs = [r for r in _finished(runs) if arm is None or r["arm"] == arm]
    flags = [r.get("control_flagged") for r in rs]
    return {"flagged": sum(f is True for f in flags), "not_flagged": sum(f is False for f in flags),
            "unknown": sum(f is None for f in flags), "n": len(rs)}


def _check(name: str, want: str, value: Any, passed: bool | None) -> dict[str, Any]:
    return {"check": name, "threshold": want, "value": value, "passed": passed}


def verdict(runs: list[dict[str, Any]], targeted: str, *, control: bool,
            thresholds: dict[str, float] = THRESHOLDS) -> dict[str, Any]:
    """The done-when checks for one targeted arm of one world against uniform: gain ratio
    and interval on the tracked slices and on the worst slice, the overall quality kept,
    the control flagged in every seed, enough seeds. `passed` is True only if every
    check passed, None if one could not be measured and none failed."""
    tr = compare(runs, targeted, metric="tracked_slice_recall")
    ws = compare(runs, targeted, metric="worst_slice_recall")
    ov = compare(runs, targeted, metric="overall")

    def lo(c: dict[str, Any]) -> float | None:
        return c["ci95"][0] if c.get("ci95") else None

    checks = [
        _check("seeds", f">= {thresholds['min_seeds']:.0f}", len(tr["seeds"]),
               len(tr["seeds"]) >= thresholds["min_seeds"]),
        _check("tracked-slice gain ratio", f">= {thresholds['tracked_ratio']}", tr["ratio"],
               None if tr["ratio"] is None else tr["ratio"] >= thresholds["tracked_ratio"]),
        _check("tracked-slice difference, 95 % interval", "low end > 0", tr.get("ci95"),
               None if lo(tr) is None else lo(tr) > 0),
        _check("worst-slice gain ratio", f">= {thresholds['worst_ratio']}", ws["ratio"],
               None if ws["ratio"] is None else ws["ratio"] >= thresholds["worst_ratio"]),
        _check("worst-slice difference, 95 % interval", "low end > 0", ws.get("ci95"),
               None if lo(ws) is None else lo(ws) > 0),
        _check("overall vs uniform (final)", f">= -{thresholds['overall_drop']}",
               (ov.get("difference") or {}).get("mean"),
               None if "difference" not in ov else ov["difference"]["mean"] >= -thresholds["overall_drop"]),
    ]
    if control:
        c = control_flag_counts(runs, targeted)
        checks.append(_check("control flagged data-insensitive", "every seed",
                             f"{c['flagged']} of {c['n']}" + (f" ({c['unknown']} not measured)"
                                                              if c["unknown"] else ""),
                             False if c["not_flagged"] or not c["n"] else
                             (None if c["unknown"] else True)))
    results = [c["passed"] for c in checks]
    passed = False if False in results else (None if None in results else True)
    return {"arm": targeted, "passed": passed, "checks": checks,
            "comparisons": {"tracked_slice_recall": tr, "worst_slice_recall": ws, "overall": ov}}
