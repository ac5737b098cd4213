"""review: the design-review gate. Pauses the run (LangGraph interrupt) until a person
approves, edits or rejects the policy; --auto-approve records the decision and goes on.

Resume values: {"action": "approve"} | {"action": "reject", "comment": str} |
{"action": "edit", "policy": <Policy as dict>}.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from synthloop.tools.design import lint_policy, render_review_markdown
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Policy

from ..context import LoopContext
from ..state import LoopState
from .common import settings_of, stage


def review(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    version = state["policy_version"]
    if settings_of(state).auto_approve:
        ws.record_review(version, "auto-approved", "run started with --auto-approve")
        return {"review": {"decision": "auto-approved", "comment": ""}}
    if ws.is_approved(version):  # approved from another shell while the run was paused
        return {"review": {"decision": "approved", "comment": "approved outside the run"}}
    stage(runtime, f"design review of policy v{version}")
    policy = ws.get_policy(version)
    answer = interrupt({
        "policy_version": version,
        "review": review_markdown(policy),
        "lint": state.get("lint", []),
    })
    return apply_review(ws, version, answer)


# Findings about scenarios and axes, which the run derives after this review (design node)
_LATER = ("rule_no_", "no_contrast", "no_hard_negatives", "one_label", "no_axes",
          "no_fairness_axis", "scenario_", "axis_", "too_many_axes", "too_many_scenarios")


def review_markdown(policy: Policy) -> str:
    """The review of a drafted policy. Before scenarios and axes exist, the lint findings
    about them are left out and the page says they come next, so a reviewer is not shown
    errors (no compliant scenario, no axes) for a draft that is not finished yet."""
    findings = lint_policy(policy)
    if policy.scenarios or policy.axes:
        return render_review_markdown(policy, findings)
    later = sorted({f.code for f in findings if f.code.startswith(_LATER)})
    shown = [f for f in findings if not f.code.startswith(_LATER)]
    note = ("\n\n> Scenarios and variable axes are derived right after you approve (the "
            "design step) and linted then" + (f"; not shown yet: {', '.join(later)}" if later else "")
            + ".")
    return render_review_markdown(policy, shown) + note


def apply_review(ws, version: int, answer: Any) -> dict[str, Any]:
    """Record a reviewer's answer and say where the run goes next."""
    if not isinstance(answer, dict) or answer.get("action") not in ("approve", "reject", "edit"):
        raise ValidationError(f"review answer {answer!r} is not approve/reject/edit",
                              "resume with {'action': 'approve'} or similar")
    action = answer["action"]
    comment = str(answer.get("comment", ""))[:2000]
    if action == "approve":
        ws.record_review(version, "approved", comment)
        return {"review": {"decision": "approved", "comment": comment}}
    if action == "reject":
        ws.record_review(version, "rejected", comment)
        return {"review": {"decision": "rejected", "comment": comment}, "feedback": comment}
    edited = Policy.model_validate({**answer["policy"], "version": None, "parent_version": version})
    errors = [f for f in lint_policy(edited) if f.level == "error"]
    if errors:
        raise ValidationError(f"edited policy has lint errors: {errors[0].message}",
                              "fix the policy and resume again")
    stored = ws.save_policy(edited, parent_version=version)
    ws.record_review(stored.version, "approved", comment or f"edited from v{version}")
    return {"review": {"decision": "edited", "comment": comment},
            "policy_version": stored.version, "lint": []}


def after_review(state: LoopState) -> Literal["draft", "design"]:
    return "draft" if state.get("review", {}).get("decision") == "rejected" else "design"
