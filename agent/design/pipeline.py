"""The whole design step as one call: goal -> draft (lint, critic) -> scenarios -> axes ->
final lint. The agent graph calls the parts node by node; the CLI calls this."""

from __future__ import annotations

from dataclasses import dataclass, field

from synthloop.tools.design import LintFinding, lint_policy
from synthloop.tools.models import Policy

from .axes import propose_axes
from .draft import DraftResult, draft_policy
from .scenarios import derive_scenarios


@dataclass
class DesignResult:
    """A designed policy (not stored yet), the draft step's result, the final lint
    findings and every note on what code changed."""

    policy: Policy
    draft: DraftResult
    findings: list[LintFinding]
    notes: list[str] = field(default_factory=list)


def design_policy(llm, goal: str, *, feedback: str | None = None,
                  progress=None) -> DesignResult:
    """Draft, derive scenarios, propose axes and lint. `progress(stage: str)`, when given,
    is called before each LLM step so a caller can show where it is."""
    say = progress or (lambda _stage: None)
    say("drafting the policy")
    draft = draft_policy(llm, goal, feedback=feedback)
    notes = list(draft.notes)
    say("deriving scenarios")
    policy = derive_scenarios(llm, draft.policy, notes=notes)
    say("proposing variable axes")
    policy = propose_axes(llm, policy, notes=notes)
    return DesignResult(policy, draft, lint_policy(policy), notes)
