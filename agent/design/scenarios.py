"""Scenarios per rule: the LLM proposes, code matches names, weights them and makes sure
every rule has at least a compliant and a violating scenario."""

from __future__ import annotations

import logging

from synthloop.tools.design.fill import (
    ensure_rule_scenarios,
    person_class,
    repair_scenarios,
    with_changes,
)
from synthloop.tools.errors import ExternalError
from synthloop.tools.models import ClassCount, Policy

from .convert import draft_to_scenarios
from .schemas import ScenarioList

log = logging.getLogger("synthloop.design")


def derive_scenarios(llm, policy: Policy, *, notes: list[str] | None = None,
                     max_tokens: int = 900) -> Policy:
    """`policy` with scenarios for each rule (compliant, violating, hard negative, edge
    case). What the model proposes is checked against the policy's rules and classes; what
    it forgot is filled in by code (tools.design.fill). A model that fails to answer falls
    back to the code-derived scenarios. Notes on every change are appended to `notes`."""
    notes = notes if notes is not None else []
    summary = {"classes": {c.name: c.appears for c in policy.classes},
               "rules": [{"id": r.id, "text": r.text, "classes": r.classes} for r in policy.rules]}
    try:
        proposed = llm.decide(ScenarioList, "derive_scenarios",
                              {"goal": policy.goal or policy.title, "policy": summary},
                              max_tokens=max_tokens)
        scenarios, n = draft_to_scenarios(proposed.scenarios, policy)
        notes += n
    except ExternalError as e:
        log.warning("scenario derivation failed: %s", e)
        notes.append(f"the model gave no usable scenarios ({e.message[:100]}); derived them "
                     "from the rules")
        scenarios = []
    scenarios = _with_people(policy, scenarios, notes)
    policy = with_changes(policy, scenarios=[*policy.scenarios, *scenarios])
    for step in (repair_scenarios, ensure_rule_scenarios):
        policy, n = step(policy)
        notes += n
    return policy


def _with_people(policy: Policy, scenarios, notes: list[str]):
    """A scenario that shows worn items but no person gets the people to wear them, and
    one that shows nothing at all under a rule about people gets one person (the model
    often lists only the item, or only things that are not classes, like a cap)."""
    person = person_class(policy)
    if person is None:
        return scenarios
    kinds = {c.name: c.appears for c in policy.classes}
    about_people = {r.id for r in policy.rules
                    if any(kinds.get(n) in _CARRIED or kinds.get(n) == "person" for n in r.classes)}
    out = []
    for s in scenarios:
        worn = [c.count for c in s.classes if kinds.get(c.name) in _CARRIED]
        need = max(worn) if worn else (1 if not s.classes and s.rule_id in about_people else 0)
        if need and not any(c.name == person for c in s.classes):
            s = s.model_copy(update={"classes": [ClassCount(name=person, count=need),
                                                 *s.classes]})
            notes.append(f"scenario {s.id}: added {need} {person} to the scene")
        out.append(s)
    return out


_CARRIED = ("worn_on_head", "worn_on_body", "held")
