"""The loop-efficacy numbers: pooled fixed slices, aggregation over seeds, the headline
ratio and its guard against a near-zero denominator, and the report files."""

from __future__ import annotations

import json

import pytest

from synthloop.evals.efficacy_metrics import (
    MIN_SUPPORT,
    aggregate,
    count_added,
    headline_ratio,
    pooled_slices,
    report_metrics,
    spread,
    worst_slice_keys,
)
from synthloop.evals.efficacy_report import render_markdown, write_results
from synthloop.tools.models import ClassMetrics, EvalSetInfo, MisclassificationReport, SliceMetrics


def _slice(axis, value, cls, support, tp):
    return SliceMetrics(axis=axis, value=value, cls=cls, n_images=support, support=support, tp=tp,
                        fn=support - tp, recall=tp / support if support else 0.0)


def _report(night_tp=5):
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


def test_pooled_slices_are_the_fixed_set_of_conditions_with_support():
    assert pooled_slices(_report()) == {"lighting=night": 5 / 40, "lighting=day": 70 / 80,
                                        "distance=far": 0.5}
    assert worst_slice_keys(_report(), 2) == ["lighting=night", "distance=far"]


def test_report_metrics_keep_both_the_benchmark_and_the_product_view():
    m = report_metrics(_report(), tracked=["lighting=night", "distance=far", "weather=fog"])
    assert m["worst_slice"] == "lighting=night" and m["worst_slice_recall"] == 0.125
    assert m["worst5_slice_recall"] == pytest.approx((0.125 + 0.5 + 0.875) / 3, abs=1e-4)
    assert m["worst_class"] == "hard_hat" and m["worst_class_recall"] == 0.1
    assert m["product_worst_slice_recall"] == 0.0   # the per-class slice with 6 objects
    assert m["tracked_slice_recall"] == pytest.approx((0.125 + 0.5) / 2, abs=1e-4)  # fog absent
    assert m["overall"] == 0.5


def test_count_added_counts_each_axis_of_each_image():
    assert count_added([{"lighting": "night", "distance": "far"}, {"lighting": "night"}]) == {
        "distance=far": 1, "lighting=night": 2}


def _run(arm, seed, values, error=None):
    return {"arm": arm, "seed": seed, "error": error,
            "iterations": [{"iteration": i, "images_added": 0 if i == 0 else 10,
                            "train_images": 100 + 10 * i, "plan_source": "initial" if i == 0 else arm,
                            "added_per_slice": {"lighting=night": 8 if arm != "uniform" else 1},
                            "metrics": {"overall": 0.5, "worst_class_recall": 0.1,
                                        "worst_slice_recall": v, "worst5_slice_recall": v,
                                        "tracked_slice_recall": v, "worst_slice": "lighting=night",
                                        "slices": {"lighting=night": v}}}
                           for i, v in enumerate(values)]}


RUNS = [_run("uniform", 0, [0.1, 0.15]), _run("uniform", 1, [0.2, 0.25]),
        _run("targeted-allocator", 0, [0.1, 0.3]), _run("targeted-allocator", 1, [0.2, 0.3]),
        _run("oracle", 0, [], error="boom")]


def test_spread_and_aggregate_over_seeds_skip_failed_runs():
    assert spread([1.0, 3.0]) == {"mean": 2.0, "std": pytest.approx(1.4142, abs=1e-4),
                                  "min": 1.0, "max": 3.0, "n": 2}
    assert spread([2.0])["std"] is None and spread([])["mean"] is None
    agg = aggregate(RUNS)
    assert set(agg) == {"uniform", "targeted-allocator"}
    assert agg["targeted-allocator"]["worst_slice_recall"][1]["mean"] == 0.3


def test_headline_ratio_and_paired_difference():
    h = headline_ratio(RUNS, "targeted-allocator")
    assert h["gain_baseline"] == pytest.approx(0.05) and h["gain_targeted"] == pytest.approx(0.15)
    assert h["ratio"] == pytest.approx(3.0) and h["targeted_wins"] == 2
    assert h["paired_differences"] == [0.15, 0.05]


@pytest.mark.parametrize("uniform_final", [0.11, 0.05])  # gain +0.01, and a loss
def test_headline_ratio_is_undefined_when_uniform_barely_moves(uniform_final):
    runs = [_run("uniform", 0, [0.1, uniform_final]), _run("targeted-allocator", 0, [0.1, 0.3])]
    h = headline_ratio(runs, "targeted-allocator")
    assert h["ratio"] is None and "not defined" in h["note"]
    assert h["difference"]["mean"] == pytest.approx(0.3 - uniform_final)


def test_headline_ratio_without_common_seeds_says_so():
    h = headline_ratio(RUNS, "oracle")
    assert h["ratio"] is None and "no seed finished" in h["note"]


def test_report_files(tmp_path):
    result = {"config": {"policy_file": None, "example": "ppe_world", "seeds": [0, 1],
                         "arms": ["uniform", "targeted-allocator", "oracle"], "initial_images": 100,
                         "iterations": 1, "images_per_iteration": 10, "holdout_images": 5,
                         "balanced_holdout": 20, "imgsz": 96, "batch": 16, "from_scratch": False,
                         "base_epochs": 3, "epochs": 1, "image_size": 128},
              "bases": [{"seed": 0, "oracle_slice": "lighting=night", "tracked_slices": ["distance=far"]}],
              "runs": RUNS, "summary": aggregate(RUNS),
              "headline": {"targeted-allocator": headline_ratio(RUNS, "targeted-allocator"),
                           "oracle": headline_ratio(RUNS, "oracle")},
              "machine": {"cpus": 2, "load_1m_start": 1.0, "load_1m_end": 2.0}, "wall_s": 60.0}
    md = render_markdown(result)
    assert "ratio **3.00**" in md and "| targeted-allocator | 1 | 110 |" in md
    assert "lighting=night" in md and "oracle (seed 0): boom" in md
    assert "| targeted-allocator | 0.15 → 0.300 ± 0.000 |" in md  # key slice: first → last
    paths = write_results(result, tmp_path, "eff")
    assert json.loads(paths["json"].read_text())["headline"]["oracle"]["ratio"] is None
    assert len(paths["plots"]) == 5 and all(p.stat().st_size > 1000 for p in paths["plots"])


def test_preset_overrides_keep_the_rest_of_the_preset(tmp_path):
    from synthloop.evals.loop_efficacy import FULL, QUICK, preset

    assert preset() == FULL and preset(True) == QUICK
    cfg = preset(True, seeds=2, arms=["uniform"], epochs=7, imgsz=None)
    assert (cfg.seeds, cfg.arms, cfg.epochs, cfg.imgsz) == ((0, 1), ("uniform",), 7, QUICK.imgsz)
    yaml = tmp_path / "p.yaml"
    cfg = preset(policy=str(yaml))
    assert cfg.policy_file == str(yaml.resolve()) and cfg.example is None
