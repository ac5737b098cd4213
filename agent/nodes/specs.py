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
from .common import ctx_of, settings_of, stage

HOLDOUT_SEED_SALT = "holdout-never-trained"


def specs(state: dict[str, Any], runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = ctx_of(runtime).workspace
    s = settings_of(state)
    it = state.get("iteration", 0)
    policy = ws.get_policy(state["policy_version"])
    if it == 0:
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
    new = ws.save_specs(todo)
    ctx_of(runtime).console.print(f"{len(todo)} specs ({new} new)")
    return {"spec_count": len(todo), "added_per_slice": per_slice}
