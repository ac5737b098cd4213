"""draft: goal -> policy (LLM draft, lint, critic pass), or a given policy file/example."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from ..context import LoopContext
from ..state import LoopState
from .common import settings_of, stage


def draft(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    s = settings_of(state)
    if s.policy_file or s.example_policy:
        from synthloop.tools.design import load_example_policy, read_policy_yaml

        stage(runtime, f"policy from {'file ' + s.policy_file if s.policy_file else 'example ' + str(s.example_policy)}")
        policy = read_policy_yaml(s.policy_file) if s.policy_file else load_example_policy(s.example_policy)
        policy = policy.model_copy(update={"goal": state.get("goal") or policy.goal})
        stored = ws.save_policy(policy)
        return {"policy_version": stored.version, "lint": [], "feedback": ""}

    from ..design import draft_policy

    stage(runtime, "drafting the policy" + (" (with reviewer feedback)" if state.get("feedback") else ""))
    result = draft_policy(runtime.context.llm, state["goal"], feedback=state.get("feedback") or None)
    stored = ws.save_policy(result.policy)
    left = [f"{f.level}: {f.message}" for f in result.findings_after]
    console = runtime.context.console
    console.print(f"policy v{stored.version}: {len(stored.classes)} classes, {len(stored.rules)} rules; "
                  f"lint findings before critic {len(result.findings_before)}, after {len(left)}")
    return {"policy_version": stored.version, "lint": left, "feedback": ""}
