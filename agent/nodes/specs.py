"""specs: what to generate this iteration. Iteration 0: the initial training set, a
validation set and the synthetic holdout (seeds never trained on). Later iterations:
the validated plan's targeted specs. Deterministic, so re-running adds nothing."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.design import expand_specs

from ..context import LoopContext
from ..planning.schemas import ValidatedPlan
from ..planning.to_specs import derive_seed, plan_to_specs
from ..state import LoopState
from .common import settings_of, stage
from .guardrails import check_budget, images_used

HOLDOUT_SEED_SALT = "holdout-never-trained"


def specs(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    s = settings_of(state)
    it = state.get("iteration", 0)
    policy = ws.get_policy(state["policy_version"])
    if it == 0:
        check_budget(s)  # also for a run started before the CLI refused small budgets
        stage(runtime, "iteration 0: initial specs, validation set and synthetic holdout")
        todo = list(expand_specs(policy, s.initial_images, strategy="stratified",
                                 seed=derive_seed(s.seed, "train"), split="train", origin="initial"))
        todo += list(expand_specs(policy, s.val_images, strategy="stratified",
                                  seed=derive_seed(s.seed, "val"), split="val", origin="validation"))
        if not s.eval_set:
            todo += list(expand_specs(policy, s.holdout_images, strategy="stratified",
                                      seed=derive_seed(s.seed, HOLDOUT_SEED_SALT), split="test",
                                      origin="synthetic holdout"))
        per_slice = {"initial (stratified)": s.initial_images}
    else:
        plan = ValidatedPlan.model_validate(state["plan"])
        stage(runtime, f"iteration {it}: {plan.total()} targeted specs ({plan.source})")
        todo, per_slice = plan_to_specs(policy, plan, iteration=it, base_seed=s.seed)
        planned = len(todo)
        todo, per_slice = within_budget(ws, policy.version, todo, per_slice, s.total_images)
        if len(todo) < planned:
            runtime.context.console.print(f"[yellow]{planned - len(todo)} planned specs left out: "
                                          f"the image budget is {s.total_images}[/]")
    new = ws.save_specs(todo)
    runtime.context.console.print(f"{len(todo)} specs ({new} new)")
    return {"spec_count": len(todo), "added_per_slice": per_slice}


def within_budget(ws, policy_version: int, todo: list, per_slice: dict[str, int],
                  total: int) -> tuple[list, dict[str, int]]:
    """The first specs of `todo` that fit in what is left of the run's image budget. Specs
    of `todo` already stored (a resumed iteration) are not counted twice, so re-running
    the step keeps the same specs."""
    stored = ws.stored_spec_ids(t.id for t in todo)
    room = max(0, total - (images_used(ws, policy_version) - len(stored)))
    if len(todo) <= room:
        return todo, per_slice
    kept = todo[:room]
    counts = dict.fromkeys(per_slice, 0)
    for t in kept:
        key = _slice_of(t.origin, per_slice)
        if key is not None:
            counts[key] += 1
    return kept, counts


def _slice_of(origin: str, keys) -> str | None:
    """The per-slice key a spec's origin was made for: "floor" for the floor, else
    "targeted KEY", possibly followed by a note such as "(near miss)"."""
    if origin == "floor":
        return next((k for k in keys if "floor" in k), None)
    body = origin.removeprefix("targeted ")
    hits = [k for k in keys if body == k or body.startswith(f"{k} ")]
    return max(hits, key=len) if hits else None
