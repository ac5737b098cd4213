"""The oracle planner (a benchmark arm): every image of the budget in one known slice."""

from __future__ import annotations

import pydantic
import pytest
from langgraph.runtime import Runtime
from rich.console import Console

from synthloop.agent.context import LoopContext, RunSettings
from synthloop.agent.nodes.plan import oracle_plan, plan
from synthloop.agent.planning.to_specs import plan_to_specs
from synthloop.tools.design import load_example_policy
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import EvalSetInfo, MisclassificationReport


def test_oracle_plan_spends_the_whole_budget_on_the_slice():
    policy = load_example_policy("ppe_world")
    vplan = oracle_plan(policy, "lighting=night", 50)
    assert vplan.source == "oracle" and vplan.floor == 0 and vplan.total() == 50
    specs, per_slice = plan_to_specs(policy, vplan, iteration=1, base_seed=0)
    assert len(specs) == 50 and per_slice == {"lighting=night": 50}
    assert {s.variables["lighting"] for s in specs} == {"night"}


@pytest.mark.parametrize("bad", [None, "lighting=sunset", "weather_x=fog", "lighting"])
def test_oracle_plan_refuses_a_slice_the_policy_lacks(bad):
    with pytest.raises(ValidationError, match="oracle slice"):
        oracle_plan(load_example_policy("ppe_world"), bad, 10)


def test_run_settings_check_the_oracle_slice_format():
    assert RunSettings(planner="oracle", oracle_slice="lighting=night").oracle_slice == "lighting=night"
    assert RunSettings().oracle_slice is None
    with pytest.raises(pydantic.ValidationError):
        RunSettings(oracle_slice="night")


def test_plan_node_with_the_oracle_planner(ws):
    policy = ws.save_policy(load_example_policy("ppe_world"))
    report = ws.save_report(MisclassificationReport(eval_set=EvalSetInfo(kind="synthetic", n_images=1)))
    settings = RunSettings(planner="oracle", oracle_slice="occlusion=heavy", images_per_iteration=30)
    state = {"settings": settings.model_dump(mode="json"), "policy_version": policy.version,
             "report_id": report.id, "next_budget": 30, "iteration": 0}
    ctx = LoopContext(workspace=ws, llm=None, console=Console(quiet=True), progress=False)
    out = plan(state, Runtime(context=ctx))
    assert out["iteration"] == 1 and out["plan"]["source"] == "oracle"
    assert [(t["axis"], t["value"], t["count"]) for t in out["plan"]["targets"]] == [
        ("occlusion", "heavy", 30)]
