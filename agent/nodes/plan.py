"""plan: the LLM proposes a TargetedPlan from the summary; code validates it (known classes
and axes, within budget, a class floor) or falls back to the deterministic allocator.
The `planner` setting also offers `allocator`, `uniform` and `oracle` (the benchmark's arms;
the oracle puts every new image in `oracle_slice`, the slice a benchmark world makes hard)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Policy

from ..context import LoopContext
from ..planning import SliceTarget, TargetedPlan, ValidatedPlan, validate_plan
from .common import ctx_of, settings_of, stage


def describe_policy(policy: Policy) -> dict[str, Any]:
    """What the planner may name: classes, scenarios and axes with their values."""
    return {
        "classes": policy.class_names(),
        "scenarios": [f"{s.id} ({s.kind})" for s in policy.scenarios],
        "axes": {a.name: a.value_names() for a in policy.axes},
    }


def plan(state: dict[str, Any], runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = ctx_of(runtime).workspace
    s = settings_of(state)
    policy = ws.get_policy(state["policy_version"])
    report = ws.get_report(state["report_id"])
    budget = int(state.get("next_budget", s.images_per_iteration))
    it = state.get("iteration", 0)
    stage(runtime, f"planning iteration {it + 1} ({s.planner}, {budget} images)")
    if s.planner == "uniform":
        vplan = ValidatedPlan(source="uniform", rationale="new specs drawn like the initial set",
                              targets=[], floor=budget, budget=budget)
    elif s.planner == "oracle":
        vplan = oracle_plan(policy, s.oracle_slice, budget)
    elif s.planner == "allocator":
        vplan = validate_plan(None, policy=policy, report=report, budget=budget,
                              floor_fraction=s.floor_fraction, min_per_slice=s.min_per_slice)
        vplan = vplan.model_copy(update={"source": "allocator"})
    else:
        proposal, error = None, None
        try:
            proposal = ctx_of(runtime).llm.decide(
                TargetedPlan, "plan",
                {"summary": state.get("summary", ""), "budget": budget,
                 "policy": describe_policy(policy), "goal": state.get("goal", policy.goal)})
        except Exception as e:  # any LLM failure becomes a recorded fallback, never a crash
            error = f"{type(e).__name__}: {e}"
        vplan = validate_plan(proposal, policy=policy, report=report, budget=budget,
                              floor_fraction=s.floor_fraction, min_per_slice=s.min_per_slice,
                              llm_error=error)
    show_plan(ctx_of(runtime).console, vplan)
    return {"plan": vplan.model_dump(), "iteration": it + 1}


def oracle_plan(policy: Policy, oracle_slice: str | None, budget: int) -> ValidatedPlan:
    """Every image of the budget in the slice 'axis=value' (no floor): the benchmark's
    upper reference for targeting, given knowledge of the world the planner lacks."""
    axis, _, value = (oracle_slice or "").partition("=")
    known = policy.get_axis(axis)
    if known is None or value not in known.value_names():
        raise ValidationError(f"oracle slice {oracle_slice!r} is not an axis=value of the policy",
                              "set oracle_slice to e.g. 'lighting=night' (see the policy's axes)")
    return ValidatedPlan(source="oracle", rationale=f"all new images in {oracle_slice}",
                         targets=[SliceTarget(axis=axis, value=value, count=budget,
                                              hypothesis="oracle: the world's hardest slice")],
                         floor=0, budget=budget)


def show_plan(console, vplan: ValidatedPlan) -> None:
    from rich.table import Table

    t = Table(title=f"plan ({vplan.source})", title_justify="left")
    for col in ("slice", "class", "images", "hypothesis"):
        t.add_column(col)
    if vplan.floor:
        t.add_row("all scenarios (floor)", "-", str(vplan.floor), "keep every class covered")
    for tg in vplan.targets:
        t.add_row(f"{tg.axis}={tg.value}", tg.cls or "-", str(tg.count), tg.hypothesis[:80])
    console.print(t)
    for d in vplan.adjusted:
        console.print(f"[cyan]read as:[/] {d}")
    for d in vplan.dropped:
        console.print(f"[yellow]refused:[/] {d}")
