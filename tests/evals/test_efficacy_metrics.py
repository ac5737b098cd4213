"""The loop-efficacy numbers: pooled slices with the control measured apart, the tracked
and worst slices without the control, the loop holdout's own scores, aggregation over
seeds, the paired comparison with its bootstrap interval, the verdict, and the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthloop.evals.efficacy_metrics import (
    MIN_SUPPORT,
    aggregate,
    bootstrap_mean_ci,
    bootstrap_ratio_ci,
    compare,
    control_flag_counts,
    count_added,
    part_scores,
    pooled_slices,
    report_metrics,
    slice_counts,
    spread,
    verdict,
    worst_slice_keys,
)
from synthloop.evals.efficacy_report import render_markdown, write_results
from synthloop.tools.models import (
    ClassMetrics,
    EvalSetInfo,
    ImageResult,
    MisclassificationReport,
    SliceMetrics,
)

CONTROL = "distance=extreme_far"


def _slice(axis, value, cls, support, tp):
    return SliceMetrics(axis=axis, value=value, cls=cls, n_images=support, support=support, tp=tp,
                        fn=support - tp, recall=tp / support if support else 0.0)


def _legacy_report(night_tp=5):
    """A report without per-image results: the pooled slices come from `slices`."""
    return MisclassificationReport(
        eval_set=EvalSetInfo(kind="synthetic", n_images=100), overall={"map50": 0.5},
        classes=[ClassMetrics(name="person", support=100, recall=0.8),
                 ClassMetrics(name="hard_hat", support=50, recall=0.1)],
        slices=[_slice("lighting", "night", None, 40, night_tp),
                _slice("lighting", "day", None, 80, 70),
                _slice("lighting", "dusk", None, MIN_SUPPORT - 1, 0),    # too few objects
                _slice("scenario", "no_hat", None, 60, 0),               # not a condition
                _slice("lighting", "night", "hard_hat", 6, 0),           # per class: product only
                _slice("distance", "far", None, 30, 15)])


def _img(i, lighting, distance, tp, fn, fp=0):
    return ImageResult(sample_id=f"s{i}", tp=tp, fn=fn, fp=fp, scenario_id="worker",
                       variables={"lighting": lighting, "distance": distance})


def _report():
    """Per-image results, 4 objects per image. Day/near images: 3 of 4 found; night/near:
    1 of 4; extreme_far (the control): 0 of 4, at day and at night."""
    ims = []
    ims += [_img(i, "day", "near", 3, 1) for i in range(10)]            # 40 objects
    ims += [_img(10 + i, "night", "near", 1, 3, fp=1) for i in range(6)]  # 24 objects
    ims += [_img(20 + i, "day", "extreme_far", 0, 4) for i in range(4)]   # control: 16
    ims += [_img(30 + i, "night", "extreme_far", 0, 4) for i in range(4)]  # control: 16
    return MisclassificationReport(
        eval_set=EvalSetInfo(kind="synthetic", n_images=len(ims)), overall={"map50": 0.4},
        classes=[ClassMetrics(name="person", support=100, recall=0.5)], images=ims)


def test_legacy_pooled_slices_are_the_conditions_with_support():
    assert pooled_slices(_legacy_report()) == {"lighting=night": 5 / 40, "lighting=day": 70 / 80,
                                               "distance=far": 0.5}
    assert worst_slice_keys(_legacy_report(), 2) == ["lighting=night", "distance=far"]


def test_the_control_is_measured_on_its_own_images_and_nowhere_else():
    counts = slice_counts(_report(), CONTROL)
    assert counts["lighting=day"] == (30, 40)      # the 4 extreme_far day images left out
    assert counts["lighting=night"] == (6, 24)
    assert counts[CONTROL] == (0, 32)
    # without a declared control, the control's images pull every slice down
    assert slice_counts(_report())["lighting=day"] == (30, 56)
    pooled = pooled_slices(_report(), control=CONTROL)
    assert pooled == {"lighting=day": 0.75, "lighting=night": 0.25, "distance=near": 36 / 64,
                      CONTROL: 0.0}


def test_tracked_and_worst_slices_never_pick_the_control():
    assert worst_slice_keys(_report(), 3, control=CONTROL) == [
        "lighting=night", "distance=near", "lighting=day"]
    assert worst_slice_keys(_report(), 1) == [CONTROL]   # no control declared: it is a slice
    m = report_metrics(_report(), ["lighting=night", "distance=near"], control=CONTROL,
                       loop_holdout={"s0", "s1", "s10"})
    assert m["worst_slice"] == "lighting=night" and m["worst_slice_recall"] == 0.25
    assert m["control_slice"] == CONTROL and m["control_recall"] == 0.0
    assert m["tracked_slice_recall"] == pytest.approx((0.25 + 36 / 64) / 2, abs=1e-4)
    assert m["worst5_slice_recall"] == pytest.approx((0.25 + 36 / 64 + 0.75) / 3, abs=1e-4)
    assert m["loop_holdout_images"] == 3
    assert m["loop_holdout_recall"] == pytest.approx(7 / 12, abs=1e-4)
    assert m["loop_holdout_precision"] == pytest.approx(7 / 8, abs=1e-4)
    assert m["overall"] == 0.4 and m["overall_name"] == "map50"


def test_tracked_slices_absent_from_a_later_report_are_skipped():
    m = report_metrics(_report(), ["lighting=night", "weather=fog"], control=CONTROL)
    assert m["tracked_slice_recall"] == 0.25
    assert "loop_holdout_recall" not in m


def test_part_scores_with_nothing_to_score():
    assert part_scores(_report(), set()) == {"n_images": 0, "recall": None, "precision": None}


def test_count_added_counts_each_axis_of_each_image():
    assert count_added([{"lighting": "night", "distance": "far"}, {"lighting": "night"}]) == {
        "distance=far": 1, "lighting=night": 2}


def test_bootstrap_interval_on_planted_differences():
    diffs = [0.1, 0.2, 0.3, 0.4, 0.5]
    lo, hi = bootstrap_mean_ci(diffs)
    assert 0.1 < lo < 0.3 < hi < 0.5
    assert bootstrap_mean_ci(diffs) == (lo, hi)              # a fixed RNG seed
    # the same procedure by hand: resample seeds with replacement, percentiles of the means
    rng = np.random.default_rng(20261201)
    x = np.asarray(diffs)
    means = x[rng.integers(0, 5, size=(10_000, 5))].mean(axis=1)
    assert (lo, hi) == tuple(round(float(v), 4) for v in np.quantile(means, [0.025, 0.975]))
    assert bootstrap_mean_ci([0.2] * 5) == (0.2, 0.2)
    assert bootstrap_mean_ci([0.3]) is None                  # one seed: nothing to resample
    lo2, hi2 = bootstrap_mean_ci([-0.2, 0.3, 0.1, -0.1, 0.4])
    assert lo2 < 0 < hi2                                     # straddles 0: not a win


def test_bootstrap_ratio_floors_the_baseline_and_counts_those_draws():
    out = bootstrap_ratio_ci([0.2, 0.2, 0.2], [0.1, 0.1, 0.1])
    assert out == {"ci95": (2.0, 2.0), "floored_share": 0.0}
    # uniform gained nothing: 0.2 / the 0.02 floor, every draw floored
    assert bootstrap_ratio_ci([0.2, 0.2], [0.0, 0.0]) == {"ci95": (10.0, 10.0), "floored_share": 1.0}


def _run(arm, seed, tracked, worst=None, overall=None, flagged=True, error=None):
    worst = worst or tracked
    overall = overall or [0.6] * len(tracked)
    return {"world": "w", "arm": arm, "seed": seed, "error": error, "control_flagged": flagged,
            "control_flag_note": "analysis stored in the loop state",
            "iterations": [{"iteration": i, "images_added": 0 if i == 0 else 10,
                            "train_images": 100 + 10 * i, "plan_source": "initial" if i == 0 else arm,
                            "added_per_slice": {"lighting=night": 8 if arm != "uniform" else 1},
                            "metrics": {"overall": o, "overall_name": "map50",
                                        "worst_class_recall": 0.1, "worst_slice_recall": w,
                                        "worst5_slice_recall": w, "tracked_slice_recall": t,
                                        "control_recall": 0.05, "worst_slice": "lighting=night",
                                        "slices": {"lighting=night": t, CONTROL: 0.05}}}
                           for i, (t, w, o) in enumerate(zip(tracked, worst, overall, strict=True))]}


def _runs(n_seeds=5, *, t_gain=0.3, u_gain=0.1, overall_t=0.6, flagged=True):
    runs = []
    for s in range(n_seeds):
        jitter = 0.01 * s
        runs.append(_run("uniform", s, [0.1, 0.1 + u_gain + jitter], overall=[0.6, 0.6]))
        runs.append(_run("targeted-allocator", s, [0.1, 0.1 + t_gain + jitter],
                         overall=[0.6, overall_t], flagged=flagged))
    return runs


def test_spread_and_aggregate_over_seeds_skip_failed_runs():
    assert spread([1.0, 3.0]) == {"mean": 2.0, "std": pytest.approx(1.4142, abs=1e-4),
                                  "min": 1.0, "max": 3.0, "n": 2}
    assert spread([2.0])["std"] is None and spread([])["mean"] is None
    assert spread([None, 1.0])["n"] == 1
    runs = _runs(2) + [_run("oracle", 0, [0.1, 0.2], error="boom")]
    agg = aggregate(runs)
    assert set(agg) == {"uniform", "targeted-allocator"}
    assert agg["targeted-allocator"]["tracked_slice_recall"][1]["mean"] == pytest.approx(0.405)


def test_compare_is_paired_by_seed_with_an_interval():
    c = compare(_runs(), "targeted-allocator", metric="tracked_slice_recall")
    assert c["gain_targeted"] == pytest.approx(0.32) and c["gain_baseline"] == pytest.approx(0.12)
    assert c["ratio"] == pytest.approx(0.32 / 0.12, abs=1e-3)
    assert c["paired_differences"] == [0.2] * 5 and c["targeted_wins"] == 5
    assert c["ci95"] == (0.2, 0.2)


@pytest.mark.parametrize("uniform_gain", [0.01, -0.05])  # barely moves, and a loss
def test_ratio_floors_uniforms_gain_when_it_barely_moves(uniform_gain):
    runs = [_run("uniform", 0, [0.1, 0.1 + uniform_gain]), _run("targeted-allocator", 0, [0.1, 0.3])]
    c = compare(runs, "targeted-allocator", metric="tracked_slice_recall")
    assert c["ratio"] == pytest.approx(0.2 / 0.02) and c["floored"] and "floor" in c["note"]
    # a targeted arm that gains no more than the floor does not reach 2.0
    weak = [_run("uniform", 0, [0.1, 0.1 + uniform_gain]), _run("targeted-allocator", 0, [0.1, 0.13])]
    assert compare(weak, "targeted-allocator", metric="tracked_slice_recall")["ratio"] < 2.0
    assert c["difference"]["mean"] == pytest.approx(0.2 - uniform_gain)
    assert c["ci95"] is None                                  # one seed


def test_compare_without_common_seeds_says_so():
    c = compare(_runs(2) + [_run("oracle", 0, [], error="boom")], "oracle")
    assert c["ratio"] is None and "no seed finished" in c["note"]


def test_verdict_passes_only_when_every_check_does():
    v = verdict(_runs(), "targeted-allocator", control=True)
    assert v["passed"] is True, v["checks"]
    assert {c["check"] for c in v["checks"]} >= {"seeds", "tracked-slice gain ratio",
                                                 "control flagged data-insensitive"}
    lost = verdict(_runs(overall_t=0.55), "targeted-allocator", control=True)
    assert lost["passed"] is False                            # overall 0.05 below uniform
    few = verdict(_runs(3), "targeted-allocator", control=True)
    assert few["passed"] is False                             # fewer than 5 seeds
    weak = verdict(_runs(t_gain=0.15), "targeted-allocator", control=True)
    assert weak["passed"] is False                            # ratio 0.17 / 0.12 < 2
    unknown = verdict(_runs(flagged=None), "targeted-allocator", control=True)
    assert unknown["passed"] is None                          # not measured is never a pass
    missed = verdict(_runs(flagged=False), "targeted-allocator", control=True)
    assert missed["passed"] is False
    assert control_flag_counts(_runs(flagged=None), "targeted-allocator") == {
        "flagged": 0, "not_flagged": 0, "unknown": 5, "n": 5}
    assert all(c["check"] != "control flagged data-insensitive"
               for c in verdict(_runs(), "targeted-allocator", control=False)["checks"])


def _world_result(runs, control=CONTROL):
    from synthloop.evals.efficacy_metrics import COMPARED

    cfg = {"seeds": [0, 1, 2, 3, 4], "arms": ["uniform", "targeted-allocator"],
           "initial_images": 100, "iterations": 1, "images_per_iteration": 10, "imgsz": 96,
           "batch": 16, "nominal_batch": 16, "from_scratch": False, "base_epochs": 3,
           "epochs": 1, "lr0": 0.001, "warmup_epochs": 0.0, "image_size": 96, "base_lr0": None}
    return {"world": "w", "task": "detection", "description": "a planted world",
            "source": "world file w.yaml", "control_slice": control, "config": cfg,
            "bases": [{"seed": 0, "oracle_slice": "lighting=night", "tracked_slices": ["lighting=night"],
                       "holdout": {"loop": 16, "balanced": 48, "control": 24}}],
            "runs": runs, "summary": aggregate(runs),
            "comparisons": {"targeted-allocator": {m: compare(runs, "targeted-allocator", metric=m)
                                                   for m in COMPARED}},
            "verdicts": {"targeted-allocator": verdict(runs, "targeted-allocator",
                                                       control=bool(control))},
            "wall_s": 60.0}


def test_report_files(tmp_path):
    runs = _runs() + [_run("oracle", 0, [], error="boom")]
    result = {"quick": False, "worlds": [_world_result(runs), _world_result(_runs(), None)],
              "runs": runs, "machine": {"cpus": 2, "load_1m_start": 1.0, "load_1m_end": 2.0},
              "wall_s": 60.0}
    result["worlds"][1]["world"] = "plain"
    md = render_markdown(result)
    assert "## Verdict" in md and "| w | mAP50 0.600 ± 0.000, - | targeted-allocator | 2.67 ([+0.200, +0.200]) |" in md
    assert "## World `w`" in md and "## World `plain`" in md
    assert "| uniform | 1 | 110 |" in md and "oracle (seed 0): boom" in md
    assert "control flagged data-insensitive in 5 of 5 seeds" in md
    assert "No control slice declared" in md
    assert "within 30 min on 2 cores — pass" in md
    paths = write_results(result, tmp_path, "eff")
    data = json.loads(paths["json"].read_text())
    assert data["worlds"][0]["verdicts"]["targeted-allocator"]["passed"] is True
    # 5 plots for the world with a control, 4 without (no control curve)
    assert len(paths["plots"]) == 9 and all(p.stat().st_size > 1000 for p in paths["plots"])
    assert (tmp_path / "eff_w_control_recall.png").is_file()
