"""The planner's checks: malformed, over-budget and unknown-class plans, and the fallback."""

from __future__ import annotations

import pytest

from synthloop.agent.planning import SliceTarget, TargetedPlan, allocate, validate_plan
from synthloop.tools.models import EvalSetInfo, MisclassificationReport, SliceMetrics
from tests.foundation.factories import make_policy


def _report() -> MisclassificationReport:
    def sl(axis, value, cls, fn, tp, score):
        n = fn + tp
        return SliceMetrics(axis=axis, value=value, cls=cls, n_images=n, support=n, tp=tp, fn=fn,
                            recall=tp / n, score=score)
    return MisclassificationReport(
        eval_set=EvalSetInfo(kind="synthetic", n_images=50),
        slices=[sl("lighting", "night", "hard_hat", 30, 10, 5.0),
                sl("lighting", "night", "person", 5, 35, 1.0),   # same axis value: skipped
                sl("scenario", "no_hat", "person", 10, 30, 0.8),
                sl("lighting", "day", "hard_hat", 0, 40, 0.0)])  # no errors: not weak


@pytest.fixture
def policy():
    return make_policy()


def test_allocator_is_proportional_to_error_mass_with_a_minimum():
    targets = allocate(_report(), 100, min_per_slice=10)
    assert [(t.axis, t.value, t.cls) for t in targets] == [
        ("lighting", "night", "hard_hat"), ("scenario", "no_hat", "person")]
    assert sum(t.count for t in targets) == 100
    # masses 30 and 10: 10 each, then the other 80 split 3:1 (60 + 20)
    assert [t.count for t in targets] == [70, 30]


def test_valid_llm_plan_is_kept_and_scaled_to_the_budget(policy):
    plan = TargetedPlan(rationale="night hats", targets=[
        SliceTarget(axis="lighting", value="night", cls="hard_hat", count=500, hypothesis="dark"),
        SliceTarget(axis="scenario", value="no_hat", count=500)])
    v = validate_plan(plan, policy=policy, report=_report(), budget=100, floor_fraction=0.2)
    assert v.source == "llm"
    assert v.floor == 20 and v.total() == 100
    assert [t.count for t in v.targets] == [40, 40]
    assert any("over budget" in d for d in v.dropped)


def test_unknown_class_and_axis_are_refused_and_fallback_is_recorded(policy):
    plan = TargetedPlan(targets=[SliceTarget(axis="lighting", value="night", cls="helmet", count=50),
                                 SliceTarget(axis="weather", value="rain", count=50)])
    v = validate_plan(plan, policy=policy, report=_report(), budget=100)
    assert v.source == "fallback: no valid targets in the LLM plan"
    assert any("unknown class 'helmet'" in d for d in v.dropped)
    assert any("unknown axis 'weather'" in d for d in v.dropped)
    assert v.targets[0].value == "night" and v.total() == 100


def test_a_class_name_used_as_an_axis_is_read_as_that_class(policy):
    # what the embedded 1.5B model wrote in a benchmark run: {"axis": "hard_hat", "value": "null"}
    plan = TargetedPlan(targets=[SliceTarget(axis="hard_hat", value="null", count=60),
                                 SliceTarget(axis="lighting", value="night", cls="hard_hat", count=40)])
    v = validate_plan(plan, policy=policy, report=_report(), budget=102, floor_fraction=0.0,
                      min_per_slice=0)
    assert v.source == "llm" and not v.dropped
    assert v.adjusted == ["hard_hat=null read as class=hard_hat"]
    assert [(t.axis, t.value, t.cls, t.count) for t in v.targets] == [
        ("class", "hard_hat", None, 60), ("lighting", "night", "hard_hat", 40)]


@pytest.mark.parametrize("plan, error, reason", [
    (None, "StructuredOutputError: schema failed twice", "LLM failed"),
    (TargetedPlan(targets=[]), None, "LLM plan was empty"),
    (None, None, "no LLM plan"),
])
def test_malformed_or_empty_plans_fall_back(policy, plan, error, reason):
    v = validate_plan(plan, policy=policy, report=_report(), budget=60, llm_error=error)
    assert v.source.startswith(f"fallback: {reason}")
    assert v.total() == 60 and v.targets


def test_new_axis_values_are_limited_and_sanitised(policy):
    plan = TargetedPlan(targets=[
        SliceTarget(axis="lighting", value="Dusk", count=10),
        SliceTarget(axis="lighting", value="../../etc", count=10),
        SliceTarget(axis="lighting", value="harsh glare", count=10),
        SliceTarget(axis="lighting", value="fog lamp", count=10)])
    v = validate_plan(plan, policy=policy, report=_report(), budget=100)
    assert v.source == "llm"
    kept = {t.value for t in v.targets}
    assert kept == {"Dusk", "harsh glare"}
    assert any("not a short plain phrase" in d for d in v.dropped)
    assert any("too many new values" in d for d in v.dropped)


@pytest.mark.parametrize("value", ["person", "lighting", "null"])
def test_a_new_value_naming_a_class_or_nothing_is_refused(policy, value):
    # the embedded model proposed background=person and background=background
    plan = TargetedPlan(targets=[SliceTarget(axis="lighting", value=value, count=10)])
    v = validate_plan(plan, policy=policy, report=_report(), budget=100)
    assert v.source.startswith("fallback") and "names a class or nothing" in v.dropped[0]


def test_class_floor_is_never_zero_when_there_is_budget(policy):
    v = validate_plan(None, policy=policy, report=_report(), budget=10, floor_fraction=0.0)
    assert v.floor >= len(policy.classes)
    assert v.total() == 10


def test_nothing_weak_spends_everything_on_the_floor(policy):
    report = MisclassificationReport(eval_set=EvalSetInfo(kind="synthetic", n_images=1))
    v = validate_plan(None, policy=policy, report=report, budget=50)
    assert v.targets == [] and v.floor == 50
