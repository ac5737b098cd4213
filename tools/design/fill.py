"""Deterministic repairs for shallow drafts: what code can fill in safely, it does, and it
says what it did.

The rules of thumb: repair names that clearly mean a known class ('Hard hats' -> hard_hat);
add a person class when something is worn or held; give every rule at least a compliant and
a violating scenario built from its own classes. Never invent a class a rule did not name:
a rule with no classes gets none (lint then warns), and unknown names are left for the
critic pass or the reviewer.
"""

from __future__ import annotations

from typing import Any

from ..models import ClassCount, ObjectClass, Policy, Rule, Scenario
from .names import match_name, normalise_text, spaced, to_snake, with_article

WORN = ("worn_on_head", "worn_on_body", "held")
_PROHIBITION_WORDS = ("not", "never", "no", "prohibited", "forbidden", "banned", "mustn",
                      "don", "avoid", "free of", "clear of", "nobody", "without permission")


def with_changes(policy: Policy, **changes: Any) -> Policy:
    """A validated copy of `policy` with `changes` applied (model_copy would skip the
    policy's own checks, e.g. unique names)."""
    return Policy.model_validate({**policy.model_dump(), **changes})


def is_prohibition(text: str) -> bool:
    """True when a rule forbids something ('no phones on the shop floor'), so its violating
    scenario shows the item and its compliant one does not; False for requirements ('wear a
    hard hat'), where it is the other way round."""
    words = f" {normalise_text(text)} "
    return any(f" {w} " in words for w in _PROHIBITION_WORDS)


def person_class(policy: Policy) -> str | None:
    """The name of the first class that is a person, or None."""
    return next((c.name for c in policy.classes if c.appears == "person"), None)


def fill_policy(policy: Policy) -> tuple[Policy, list[str]]:
    """Every safe repair in order; returns (policy, notes on what changed)."""
    notes: list[str] = []
    for step in (ensure_person_class, describe_classes, repair_rule_classes,
                 repair_scenarios, ensure_rule_scenarios):
        policy, n = step(policy)
        notes += n
    return policy, notes


def ensure_person_class(policy: Policy) -> tuple[Policy, list[str]]:
    """Add a person class when something is worn or held but nobody could wear it."""
    if person_class(policy) or not any(c.appears in WORN for c in policy.classes):
        return policy, []
    existing = policy.get_class("person")
    if existing is not None:
        classes = [c.model_copy(update={"appears": "person"}) if c.name == "person" else c
                   for c in policy.classes]
        return with_changes(policy, classes=classes), ["class person: set appears=person, "
                                                       "since other classes are worn or held"]
    person = ObjectClass(name="person", description="a person in view of the camera",
                         appears="person")
    return (with_changes(policy, classes=[person, *policy.classes]),
            ["added class person: other classes are worn or held by someone"])


def describe_classes(policy: Policy) -> tuple[Policy, list[str]]:
    """Give undescribed classes a plain description ('a hard hat')."""
    bare = [c.name for c in policy.classes if not c.description.strip()]
    if not bare:
        return policy, []
    classes = [c.model_copy(update={"description": with_article(spaced(c.name))})
               if c.name in bare else c for c in policy.classes]
    return with_changes(policy, classes=classes), [f"described classes: {', '.join(bare)}"]


def repair_rule_classes(policy: Policy) -> tuple[Policy, list[str]]:
    """Map near-miss class names in rules onto known classes, drop repeats, and for a rule
    that lists no class, take the classes its text names ('wear a hard hat' -> hard_hat)."""
    names = policy.class_names()
    notes: list[str] = []
    rules: list[Rule] = []
    for r in policy.rules:
        fixed: list[str] = []
        for raw in r.classes:
            name = match_name(raw, names) or raw
            if name != raw:
                notes.append(f"rule {r.id}: class '{raw}' read as '{name}'")
            if name not in fixed:
                fixed.append(name)
        if not fixed:
            text = f" {normalise_text(r.text)} "
            fixed = [n for n in names if f" {normalise_text(spaced(n))} " in text]
            if fixed:
                notes.append(f"rule {r.id}: took classes {', '.join(fixed)} from its text")
        rules.append(r.model_copy(update={"classes": fixed}))
    return (with_changes(policy, rules=rules), notes) if notes else (policy, [])


def repair_scenarios(policy: Policy) -> tuple[Policy, list[str]]:
    """Map scenario class names and rule ids onto known ones; drop what cannot be mapped
    (a 'cap' in a hard-negative scenario is described, not detected) and merge repeats."""
    names = policy.class_names()
    rule_ids = {r.id.lower(): r.id for r in policy.rules}
    notes: list[str] = []
    out: list[Scenario] = []
    for s in policy.scenarios:
        counts: dict[str, int] = {}
        for c in s.classes:
            name = match_name(c.name, names)
            if name is None:
                notes.append(f"scenario {s.id}: dropped '{c.name}', not a policy class")
                continue
            counts[name] = min(20, counts.get(name, 0) + c.count)
        rule_id = s.rule_id
        if rule_id is not None and rule_id not in rule_ids.values():
            rule_id = rule_ids.get(rule_id.lower())
            notes.append(f"scenario {s.id}: rule '{s.rule_id}' "
                         + (f"read as '{rule_id}'" if rule_id else "does not exist; detached"))
        out.append(s.model_copy(update={
            "classes": [ClassCount(name=n, count=k) for n, k in counts.items()],
            "rule_id": rule_id}))
    return (with_changes(policy, scenarios=out), notes) if notes else (policy, [])


def ensure_rule_scenarios(policy: Policy) -> tuple[Policy, list[str]]:
    """Give every rule a compliant and a violating scenario (and, for a requirement to
    wear something, a hard negative and a two-person edge case) when it has none."""
    notes: list[str] = []
    scenarios = list(policy.scenarios)
    taken = {s.id for s in scenarios}
    for r in policy.rules:
        have = {s.kind for s in scenarios if s.rule_id == r.id}
        for s in default_scenarios(policy, r):
            if s.kind in have:
                continue
            sid = _unique_id(s.id, taken)
            scenarios.append(s.model_copy(update={"id": sid}))
            notes.append(f"rule {r.id}: added {s.kind} scenario {sid}")
    return (with_changes(policy, scenarios=scenarios), notes) if notes else (policy, [])


def default_scenarios(policy: Policy, rule: Rule) -> list[Scenario]:
    """The scenarios code can derive from a rule's classes alone."""
    person = person_class(policy)
    known = [policy.get_class(n) for n in rule.classes if policy.get_class(n) is not None]
    items = [c for c in known if c.appears != "person"]
    base = [ClassCount(name=person, count=1)] if person else []
    full = base + [ClassCount(name=c.name, count=1) for c in items]
    risk = rule.severity
    prefix = to_snake(rule.id) or "rule"
    cls_label = policy.task == "classification"

    def make(kind, suffix, desc, classes, weight=1.0, label=None):
        return Scenario(id=f"{prefix}_{suffix}", rule_id=rule.id, kind=kind,
                        description=desc[:400], classes=classes, weight=weight, risk=risk,
                        label=(label or kind) if cls_label else None)

    who = with_article(spaced(person)) if person else "a scene"
    with_all = _and([with_article(spaced(c.name)) for c in items])
    if is_prohibition(rule.text):
        return [make("compliant", "compliant", rule.compliant or
                     (f"{who} without {with_all}" if items else rule.text), base),
                make("violating", "violating", rule.violating or
                     (f"{who} with {with_all}" if items else f"not: {rule.text}"), full)]
    out = [make("compliant", "compliant", rule.compliant or
                (f"{who} with {with_all}" if items else rule.text), full)]
    for c in items[:3] or [None]:
        if c is None:
            out.append(make("violating", "violating", rule.violating or f"not: {rule.text}",
                            base))
            continue
        rest = [x for x in full if x.name != c.name]
        out.append(make("violating", f"no_{c.name}", f"{who} without {with_article(spaced(c.name))}", rest,
                        weight=1.0 if len(items) == 1 else 0.7))
    head = next((c for c in items if c.appears in ("worn_on_head", "worn_on_body")), None)
    if head is not None and person:
        lookalike = "a cap or hood" if head.appears == "worn_on_head" else "an ordinary jacket"
        rest = [x for x in full if x.name != head.name]
        out.append(make("hard_negative", f"lookalike_{head.name}",
                        f"{lookalike} instead of a {spaced(head.name)}: looks similar, is not one",
                        rest, weight=0.5, label="violating"))
        two = [ClassCount(name=person, count=2)] + [ClassCount(name=c.name, count=1)
                                                    for c in items]
        out.append(make("edge_case", "two_people_one_missing",
                        f"two people, only one of them with the {spaced(head.name)}",
                        two, weight=0.5, label="violating"))
    return out


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _unique_id(sid: str, taken: set[str]) -> str:
    sid = to_snake(sid, max_len=60) or "scenario"
    out, i = sid, 2
    while out in taken:
        out, i = f"{sid}_{i}", i + 1
    taken.add(out)
    return out
