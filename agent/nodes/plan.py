"""plan: the LLM chooses among the weakness analysis' candidates (its schema's enum is their
ids), splits the targeted budget and writes a hypothesis per choice; code checks the choice
(no duplicates, hypotheses that cite the numbers) or falls back to the allocator, adds the
class floor, the exploration share and near misses, and shows what it refused.
The `planner` setting also offers `allocator`, `uniform` and `oracle` (the benchmark's arms;
the oracle puts every new image in `oracle_slice`, the slice a benchmark world makes hard)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.analysis import WeaknessAnalysis
from synthloop.tools.config import Planner
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Policy

from ..context import LoopContext, RunSettings
from ..planning import SliceTarget, ValidatedPlan
from ..planning.choose import choice_schema, choosable, validate_choice
from ..planning.validate import floor_size
from ..planning.weakness_step import analysis_of, candidate_lines, note_lines
from ..state import LoopState
from .common import settings_of, stage


def describe_policy(policy: Policy) -> dict[str, Any]:
    """What the planner may name: classes, scenarios and axes with their values."""
    return {
        "classes": policy.class_names(),
        "scenarios": [f"{s.id} ({s.kind})" for s in policy.scenarios],
        "axes": {a.name: a.value_names() for a in policy.axes},
    }


@dataclass(frozen=True)
class PlanInputs:
    """What every planner gets: the policy, the latest analysis, the budget and its floor."""

    policy: Policy
    analysis: WeaknessAnalysis | None
    budget: int
    floor: int
    settings: RunSettings
    goal: str


def uniform_plan(p: PlanInputs, llm: Any) -> ValidatedPlan:
    return ValidatedPlan(source="uniform", rationale="new specs drawn like the initial set",
                         targets=[], floor=p.budget, budget=p.budget)


def allocator_plan(p: PlanInputs, llm: Any, *, llm_error: str | None = None,
                   proposal: Any = None) -> ValidatedPlan:
    s = p.settings
    return validate_choice(proposal, analysis=p.analysis, policy=p.policy, budget=p.budget,
                           floor=p.floor, min_per_target=s.min_per_slice,
                           explore_fraction=s.explore_fraction,
                           near_miss_fraction=s.near_miss_fraction, llm_error=llm_error)


def llm_plan(p: PlanInputs, llm: Any) -> ValidatedPlan:
    """The LLM chooses among the candidates (enum-constrained); code checks the choice."""
    if not choosable(p.analysis):
        vplan = allocator_plan(p, llm)
        return vplan.model_copy(update={"source": "allocator: no candidates to choose from"})
    proposal, error = None, None
    try:
        schema = choice_schema(choosable(p.analysis), [a.name for a in p.policy.axes])
        proposal = llm.decide(schema, "plan", {
            "goal": p.goal, "budget": p.budget - p.floor,
            "candidates": candidate_lines(p.analysis),
            "notes": note_lines(p.analysis),
            "axes": "; ".join(f"{a.name}: {', '.join(a.value_names())}" for a in p.policy.axes)})
    except Exception as e:  # any LLM failure becomes a recorded fallback, never a crash
        error = f"{type(e).__name__}: {e}"
    return allocator_plan(p, llm, proposal=proposal, llm_error=error)


def code_allocator_plan(p: PlanInputs, llm: Any) -> ValidatedPlan:
    return allocator_plan(p, llm).model_copy(update={"source": "allocator"})


def oracle_arm_plan(p: PlanInputs, llm: Any) -> ValidatedPlan:
    return oracle_plan(p.policy, p.settings.oracle_slice, p.budget)


PLANNERS: dict[Planner, Callable[[PlanInputs, Any], ValidatedPlan]] = {
    Planner.llm: llm_plan,
    Planner.allocator: code_allocator_plan,
    Planner.uniform: uniform_plan,
    Planner.oracle: oracle_arm_plan,
}
"""One entry per `Planner` (tests/agent/planning/test_planning.py checks none is missing)."""


def plan(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ctx = runtime.context
    s = settings_of(state)
    policy = ctx.workspace.get_policy(state["policy_version"])
    budget = int(state.get("next_budget", s.images_per_iteration))
    it = state.get("iteration", 0)
    stage(runtime, f"planning iteration {it + 1} ({s.planner.value}, {budget} images)")
    analysis = analysis_of(state)
    inputs = PlanInputs(policy=policy, analysis=analysis, budget=budget,
                        floor=floor_size(policy, budget, s.floor_fraction), settings=s,
                        goal=state.get("goal", policy.goal))
    vplan = PLANNERS[s.planner](inputs, ctx.llm)
    show_plan(ctx.console, vplan, analysis)
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


def show_plan(console, vplan: ValidatedPlan, analysis: WeaknessAnalysis | None = None) -> None:
    """The plan as a table: per target the candidate, its evidence and the hypothesis; then
    what code refused and the analysis' notes (data-insensitive slices, class-wide misses)."""
    from rich.table import Table

    t = Table(title=f"plan ({vplan.source})", title_justify="left")
    for col in ("target", "images", "evidence", "hypothesis"):
        t.add_column(col, overflow="fold")
    if vplan.floor:
        t.add_row("all scenarios (class floor)", str(vplan.floor), "-", "keep every class covered")
    for tg in vplan.targets:
        near = f" ({tg.near_miss_count} near misses)" if tg.near_miss_count else ""
        name = f"{tg.candidate + ' ' if tg.candidate else ''}{tg.slice_key()}"
        if tg.purpose != "exploit":
            name += f" [{tg.purpose}]"
        t.add_row(name, f"{tg.count}{near}", tg.evidence or "-", tg.hypothesis)
    console.print(t)
    for d in vplan.adjusted:
        console.print(f"[cyan]adjusted:[/] {d}")
    for d in vplan.dropped:
        console.print(f"[yellow]refused:[/] {d}")
    for note in (analysis.notes if analysis else []):
        console.print(f"[magenta]analysis:[/] {note}")
