"""design: derive scenarios and variable axes for the approved policy (LLM proposes, code
checks). A policy that already has them (an example, an imported file) is kept as it is."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from ..context import LoopContext
from ..state import LoopState
from .common import stage


def design(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    version = state["policy_version"]
    policy = ws.get_policy(version)
    if policy.scenarios and policy.axes:
        return {}
    from ..design import derive_scenarios, propose_axes

    stage(runtime, "deriving scenarios and variable axes")
    llm = runtime.context.llm
    if not policy.scenarios:
        policy = derive_scenarios(llm, policy)
    if not policy.axes:
        policy = propose_axes(llm, policy)
    stored = ws.save_policy(policy, parent_version=version)
    decision = ws.review_status(version)
    ws.record_review(stored.version, decision[0] if decision else "auto-approved",
                     f"scenarios and axes derived from reviewed v{version}")
    runtime.context.console.print(f"policy v{stored.version}: {len(stored.scenarios)} scenarios, "
                                  f"{len(stored.axes)} axes")
    return {"policy_version": stored.version}
