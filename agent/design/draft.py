"""Drafting a policy from a goal: LLM draft -> safe code repairs -> lint -> (critic pass on
lint errors) -> last-resort repairs. Each step's changes are kept as notes for the review.

The critic pass quotes the lint findings back to the model and asks for exactly those to
be fixed; whichever of the two drafts has fewer lint errors is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from synthloop.tools.design import LintFinding, has_errors, lint_policy
from synthloop.tools.design.fill import describe_classes, ensure_person_class, repair_rule_classes
from synthloop.tools.errors import ExternalError
from synthloop.tools.models import Policy

from .convert import adopt_rule_classes, draft_to_policy, drop_abstract_classes, policy_to_draft
from .goal import check_goal
from .schemas import PolicyDraft

log = logging.getLogger("synthloop.design")
MAX_FEEDBACK_CHARS = 2000


@dataclass
class DraftResult:
    """A drafted policy (not stored yet) with the lint findings before and after the
    critic pass, and notes on everything code changed."""

    policy: Policy
    findings_before: list[LintFinding]
    findings_after: list[LintFinding]
    notes: list[str] = field(default_factory=list)
    critic_used: bool = False


def draft_policy(llm, goal: str, *, feedback: str | None = None,
                 max_tokens: int = 700) -> DraftResult:
    """Draft a policy (classes, rules, hard cases; no scenarios or axes yet) for `goal`.

    `feedback` is a reviewer's comment on a rejected draft (the loop's review gate passes
    it). Raises ValidationError for an empty or over-long goal, and the LLM layer's
    ExternalError subclasses when the model cannot produce a valid draft at all.

    >>> from synthloop.agent.llm import ScriptedLLM
    >>> llm = ScriptedLLM([{"title": "Helmets", "classes": [{"name": "helmet",
    ...     "appears": "worn_on_head"}], "rules": [{"text": "Riders wear a helmet."}]}])
    >>> r = draft_policy(llm, "riders wear a helmet")
    >>> r.policy.class_names(), r.policy.rules[0].classes, r.critic_used
    (['person', 'helmet'], ['helmet'], False)
    """
    goal, notes = check_goal(goal)
    feedback = " ".join((feedback or "").split())[:MAX_FEEDBACK_CHARS]
    draft = llm.decide(PolicyDraft, "draft_policy", {"goal": goal, "feedback": feedback},
                       max_tokens=max_tokens)
    policy, n = _to_repaired_policy(draft, goal)
    notes += n
    before = lint_policy(policy, stage="draft")
    after = before
    critic_used = False
    if has_errors(before):
        critic_used = True
        policy, after, n = critic_pass(llm, goal, policy, before, max_tokens=max_tokens)
        notes += n
    if has_errors(after):
        policy, n = drop_abstract_classes(policy)
        if n:
            notes += n
            after = lint_policy(policy, stage="draft")
    return DraftResult(policy, before, after, notes, critic_used)


def critic_pass(llm, goal: str, policy: Policy, findings: list[LintFinding], *,
                max_tokens: int = 700) -> tuple[Policy, list[LintFinding], list[str]]:
    """Ask the model to fix the lint errors in `findings` (quoted to it verbatim); returns
    the better of the old and the fixed policy, its findings, and notes."""
    errors = [f.one_line() for f in findings if f.level == "error"]
    try:
        fixed = llm.decide(PolicyDraft, "critic_policy",
                           {"goal": goal, "draft": policy_to_draft(policy), "findings": errors},
                           max_tokens=max_tokens)
    except ExternalError as e:
        log.warning("critic pass failed: %s", e)
        return policy, findings, [f"critic pass failed ({e.message[:120]}); kept the first draft"]
    candidate, notes = _to_repaired_policy(fixed, goal)
    candidate = candidate.model_copy(update={"goal": policy.goal})
    after = lint_policy(candidate, stage="draft")
    n_before = sum(f.level == "error" for f in findings)
    n_after = sum(f.level == "error" for f in after)
    if n_after > n_before:
        return policy, findings, [f"critic pass made things worse ({n_after} errors against "
                                  f"{n_before}); kept the first draft"]
    return candidate, after, [f"critic pass: {n_before} lint error(s) -> {n_after}", *notes]


def _to_repaired_policy(draft: PolicyDraft, goal: str) -> tuple[Policy, list[str]]:
    policy, notes = draft_to_policy(draft, goal)
    for step in (repair_rule_classes, adopt_rule_classes, ensure_person_class, describe_classes):
        policy, n = step(policy)
        notes += n
    return policy, notes
