"""design: derive scenarios and variable axes for the approved policy (code computes what it
can, the LLM words and proposes, code checks; every note on a refused or changed answer is
printed). A policy that already has them (an example, an imported file) is kept as it is."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from ..context import LoopContext
from ..state import LoopState
from .common import stage

log = logging.getLogger("synthloop.design")


def design(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    version = state["policy_version"]
    policy = ws.get_policy(version)
    if policy.scenarios and policy.axes:
        return {}
    from ..design import derive_scenarios, propose_axes

    stage(runtime, "deriving scenarios and variable axes")
    llm = runtime.context.llm
    notes: list[str] = []
    if not policy.scenarios:
        policy = derive_scenarios(llm, policy, notes=notes)
    if not policy.axes:
        policy = propose_axes(llm, policy, notes=notes)
    stored = ws.save_policy(policy, parent_version=version)
    decision = ws.review_status(version)
    ws.record_review(stored.version, decision[0] if decision else "auto-approved",
                     f"scenarios and axes derived from reviewed v{version}")
    console = runtime.context.console
    console.print(f"policy v{stored.version}: {len(stored.scenarios)} scenarios, "
                  f"{len(stored.axes)} axes")
    if notes:  # what code refused or changed in the model's answers is shown, not hidden
        console.print(f"code checked the model's scenarios and axes ({len(notes)} note(s)):",
                      markup=False)
        for n in notes:
            console.print(f"  - {n}", markup=False, highlight=False)
            log.info("design: %s", n)
    return {"policy_version": stored.version}
