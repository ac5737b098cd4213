"""Scenarios per rule. For a rule about something a person wears or holds, code computes the
scenarios (tools.design.candidates) and the LLM words each one and says how often it
happens; for any other rule the LLM proposes the list and code matches names. Either way
code weights them and makes sure every rule has at least a compliant and a violating
scenario, and every refused or changed answer is a note."""

from __future__ import annotations

import logging

from synthloop.tools.design.candidates import (
    candidate_scenarios,
    derivable,
    description_problem,
)
from synthloop.tools.design.fill import (
    ensure_rule_scenarios,
    person_class,
    repair_scenarios,
    with_changes,
)
from synthloop.tools.design.names import spaced
from synthloop.tools.errors import ExternalError
from synthloop.tools.models import ClassCount, Policy, Scenario

from .convert import FREQUENCY_WEIGHT, RISK_FACTOR, draft_to_scenarios
from .schemas import ScenarioList, wording_key, wording_schema

log = logging.getLogger("synthloop.design")
WORDING_TOKENS = 40  # one description and a frequency; bounds a runaway reply


def derive_scenarios(llm, policy: Policy, *, notes: list[str] | None = None,
                     max_tokens: int = 900) -> Policy:
    """`policy` with scenarios for each rule (compliant, violating, hard negative, edge
    case). Rules code can derive get code's scenarios in the model's words
    (`word_scenarios`); the others get the model's proposals, checked against the policy's
    rules and classes. What the model forgot is filled in by code (tools.design.fill); a
    model that fails to answer leaves code's scenarios. Notes on every change are appended
    to `notes`."""
    notes = notes if notes is not None else []
    computed = [s for r in policy.rules for s in candidate_scenarios(policy, r)]
    scenarios = word_scenarios(llm, policy, computed, notes) if computed else []
    free = [r for r in policy.rules if not derivable(policy, r)]
    if free:
        scenarios += _proposed(llm, policy, free, notes, max_tokens)
    scenarios = _with_people(policy, scenarios, notes)
    policy = with_changes(policy, scenarios=[*policy.scenarios, *_unique_ids(policy, scenarios)])
    for step in (repair_scenarios, ensure_rule_scenarios):
        policy, n = step(policy)
        notes += n
    return policy


def word_scenarios(llm, policy: Policy, computed: list[Scenario],
                   notes: list[str]) -> list[Scenario]:
    """`computed` with the model's descriptions and frequencies (weight = code's weight x
    frequency x the rule's risk). A description that fails `description_problem` is
    refused and code's wording kept, with a note saying why; so is every scenario when the
    model gives no usable answer."""
    lines = [f"{wording_key(i)} {s.rule_id} {s.kind.replace('_', ' ')}, shows "
             f"{_shows(s)}: {s.description}" for i, s in enumerate(computed, 1)]
    try:
        reply = llm.decide(wording_schema(len(computed)), "describe_scenarios",
                           {"goal": policy.goal or policy.title,
                            "context": policy.context or "not given",
                            "rules": "; ".join(f"{r.id} {r.text}" for r in policy.rules),
                            "scenarios": "\n".join(lines)},
                           max_tokens=WORDING_TOKENS * len(computed) + 16)
    except ExternalError as e:
        log.warning("scenario wording failed: %s", e)
        notes.append(f"the model gave no usable scenario wording ({e.message[:100]}); kept "
                     "code's wording for every scenario")
        return computed
    out, seen = [], set()
    for i, s in enumerate(computed, 1):
        w = getattr(reply, wording_key(i))
        text = " ".join(w.description.split())
        problem = description_problem(policy, s, text)
        if problem is None and text.lower() in seen:
            problem = "it repeats another scenario's description"
        weight = round(s.weight * FREQUENCY_WEIGHT[w.frequency] * RISK_FACTOR[s.risk], 3)
        if problem:
            notes.append(f"scenario {s.id}: refused the model's description {text[:80]!r} "
                         f"({problem}); kept {s.description[:80]!r}")
            out.append(s.model_copy(update={"weight": weight}))
            continue
        seen.add(text.lower())
        out.append(s.model_copy(update={"description": text[:400], "weight": weight}))
    return out


def _proposed(llm, policy: Policy, rules, notes: list[str], max_tokens: int) -> list[Scenario]:
    """The model's own scenarios for `rules` (those code cannot derive), names matched."""
    summary = {"classes": {c.name: c.appears for c in policy.classes},
               "rules": [{"id": r.id, "text": r.text, "classes": r.classes} for r in rules]}
    try:
        proposed = llm.decide(ScenarioList, "derive_scenarios",
                              {"goal": policy.goal or policy.title, "policy": summary},
                              max_tokens=max_tokens)
    except ExternalError as e:
        log.warning("scenario derivation failed: %s", e)
        notes.append(f"the model gave no usable scenarios ({e.message[:100]}); derived them "
                     "from the rules")
        return []
    wanted = {r.id for r in rules}
    scenarios, n = draft_to_scenarios(proposed.scenarios, policy)
    notes += n
    for s in scenarios:
        if s.rule_id not in wanted:
            notes.append(f"dropped scenario {s.id}: rule {s.rule_id}'s scenarios are computed "
                         "by code")
    return [s for s in scenarios if s.rule_id in wanted]


def _shows(s: Scenario) -> str:
    return ", ".join(f"{c.count} {spaced(c.name)}" for c in s.classes if c.count) or "nothing"


def _unique_ids(policy: Policy, scenarios: list[Scenario]) -> list[Scenario]:
    taken = {s.id for s in policy.scenarios}
    out = []
    for s in scenarios:
        sid, k = s.id, 2
        while sid in taken:
            sid, k = f"{s.id}_{k}"[:64], k + 1
        taken.add(sid)
        out.append(s if sid == s.id else s.model_copy(update={"id": sid}))
    return out


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
