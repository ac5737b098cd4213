"""plan: the LLM chooses among the weakness analysis' candidates (its schema's enum is their
ids), splits the targeted budget and writes a hypothesis per choice; code checks the choice
(no duplicates, hypotheses that cite the numbers) or falls back to the allocator, adds the
class floor, the exploration share and near misses, and shows what it refused.
The `planner` setting also offers `allocator`, `uniform` and `oracle` (the benchmark's arms;
the oracle puts every new image in `oracle_slice`, the slice a benchmark world makes hard)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.analysis import WeaknessAnalysis
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Policy

from ..context import LoopContext
from ..planning import SliceTarget, ValidatedPlan
from ..planning.choose import choice_schema, choosable, validate_choice
from ..planning.validate import floor_size
from ..planning.weakness_step import analysis_of, candidate_lines, note_lines
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
    budget = int(state.get("next_budget", s.images_per_iteration))
    it = state.get("iteration", 0)
    stage(runtime, f"planning iteration {it + 1} ({s.planner}, {budget} images)")
    analysis = analysis_of(state)
    floor = floor_size(policy, budget, s.floor_fraction)
    if s.planner == "uniform":
        vplan = ValidatedPlan(source="uniform", rationale="new specs drawn like the initial set",
                              targets=[], floor=budget, budget=budget)
    elif s.planner == "oracle":
        vplan = oracle_plan(policy, s.oracle_slice, budget)
    elif s.planner == "allocator" or not choosable(analysis):
        vplan = validate_choice(None, analysis=analysis, policy=policy, budget=budget, floor=floor,
                                min_per_target=s.min_per_slice, explore_fraction=s.explore_fraction,
                                near_miss_fraction=s.near_miss_fraction)
        source = "allocator" if s.planner == "allocator" else "allocator: no candidates to choose from"
        vplan = vplan.model_copy(update={"source": source})
    else:
        proposal, error = None, None
        try:
            schema = choice_schema(choosable(analysis), [a.name for a in policy.axes])
            proposal = ctx_of(runtime).llm.decide(schema, "plan", {
                "goal": state.get("goal", policy.goal), "budget": budget - floor,
                "candidates": candidate_lines(analysis),
                "notes": note_lines(analysis),
                "axes": "; ".join(f"{a.name}: {', '.join(a.value_names())}" for a in policy.axes)})
        except Exception as e:  # any LLM failure becomes a recorded fallback, never a crash
            error = f"{type(e).__name__}: {e}"
        vplan = validate_choice(proposal, analysis=analysis, policy=policy, budget=budget,
                                floor=floor, min_per_target=s.min_per_slice,
                                explore_fraction=s.explore_fraction,
                                near_miss_fraction=s.near_miss_fraction, llm_error=error)
    show_plan(ctx_of(runtime).console, vplan, analysis)
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
