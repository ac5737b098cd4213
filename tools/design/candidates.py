"""Scenarios code can compute from a rule, and the check of a description written for one.

A rule about something a person wears or holds ("workers wear a hard hat", "no phones in
hand on the shop floor") implies its scenarios by construction: the compliant scene, one
violating scene per item, a look-alike hard negative and a two-person edge case, with
exactly the classes each image shows. Code builds those (`candidate_scenarios`); the LLM
only words them and says how often each happens (agent/design/scenarios.py), so a small
model's reply is a few short strings instead of a whole structure it often gets wrong.
Other rules (nobody in the scene, only standalone objects) are left to the LLM's own list.

`description_problem` refuses a description that names a class the scene does not show
(unless it says the class is missing): a diffusion prompt that asks for a vest the labels
do not have is a label error before a single image exists.
"""

from __future__ import annotations

from ..models import ClassCount, Policy, Rule, Scenario
from .fill import WORN, default_scenarios, is_prohibition, person_class
from .names import normalise_text, spaced, with_article

NEGATIONS = frozenset({"no", "without", "not", "missing", "instead", "lacking", "lack",
                       "bare", "removed", "off", "never", "nor", "minus", "except"})
"""Words that, shortly before a class name, say it is absent ('without a vest')."""
_NEGATION_REACH = 4  # words before the name that may hold the negation


def derivable(policy: Policy, rule: Rule) -> bool:
    """Whether code computes this rule's scenarios: the policy has a person class and the
    rule names at least one class that is worn or held."""
    kinds = {c.name: c.appears for c in policy.classes}
    return person_class(policy) is not None and any(kinds.get(n) in WORN for n in rule.classes)


def candidate_scenarios(policy: Policy, rule: Rule) -> list[Scenario]:
    """The rule's scenarios as code derives them (see `default_scenarios`), over the worn
    or held items the rule names. Each scene breaks at most this rule: every person in it
    also wears what the policy's other requirement rules ask for (a hard-hat scene's worker
    wears the required vest too), and the rule's standalone classes (a vehicle, a sign) are
    context, once in every scene. Empty when the rule is not `derivable`."""
    if not derivable(policy, rule):
        return []
    kinds = {c.name: c.appears for c in policy.classes}
    person = person_class(policy)
    worn = [n for n in rule.classes if kinds.get(n) in WORN]
    context = [n for n in rule.classes if kinds.get(n) == "standalone"]
    companions = [n for n in required_items(policy) if n not in worn]
    core = rule.model_copy(update={"classes": [person, *worn]})
    out = []
    for s in default_scenarios(policy, core):
        people = sum(c.count for c in s.classes if c.name == person)
        extra = [ClassCount(name=n, count=people) for n in companions if people]
        extra += [ClassCount(name=n, count=1) for n in context]
        words = ([f"wearing {_and([with_article(spaced(n)) for n in companions])}"]
                 if companions and people else [])
        words += [f"with {_and([with_article(spaced(n)) for n in context])}"] if context else []
        out.append(s.model_copy(update={
            "classes": [*s.classes, *extra],
            "description": ", ".join([s.description, *words])[:400]}))
    return out


def required_items(policy: Policy) -> list[str]:
    """The worn or held classes that the policy's requirement rules (not prohibitions) ask
    a person to have, in rule order."""
    kinds = {c.name: c.appears for c in policy.classes}
    out: list[str] = []
    for r in policy.rules:
        if is_prohibition(r.text):
            continue
        out += [n for n in r.classes if kinds.get(n) in WORN and n not in out]
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def description_problem(policy: Policy, scenario: Scenario, text: str) -> str | None:
    """Why `text` cannot describe `scenario`, or None when it can: too short, or it names a
    policy class the scene does not show without saying that the class is missing."""
    words = normalise_text(text).split()
    if len(words) < 2:
        return "too short to describe a scene"
    shown = {c.name for c in scenario.classes if c.count > 0}
    for c in policy.classes:
        if c.name in shown or c.appears == "person":
            continue
        name = normalise_text(spaced(c.name)).split()
        for i in range(len(words) - len(name) + 1):
            if words[i:i + len(name)] != name:
                continue
            if not NEGATIONS & set(words[max(0, i - _NEGATION_REACH):i]):
                return (f"it asks for {spaced(c.name)}, which this scene does not show "
                        "(its images would have an unlabelled object)")
    return None
