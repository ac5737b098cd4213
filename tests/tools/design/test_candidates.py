"""Scenarios code computes from a rule (worn or held items, standalone context) and the
check of a description written for one."""

from __future__ import annotations

import pytest

from synthloop.tools.design.candidates import (
    candidate_scenarios,
    derivable,
    description_problem,
)
from synthloop.tools.models import ObjectClass, Policy, Rule


def policy(*classes: tuple[str, str], rules: list[tuple[str, list[str]]]) -> Policy:
    return Policy(title="t", classes=[ObjectClass(name=n, appears=a) for n, a in classes],
                  rules=[Rule(id=f"R{i}", text=t, classes=c) for i, (t, c) in enumerate(rules, 1)])


SCOOTER = policy(("person", "person"), ("helmet", "worn_on_head"), ("e_scooter", "standalone"),
                 rules=[("Riders wear a helmet.", ["person", "e_scooter", "helmet"])])


def test_a_worn_item_rule_gets_four_scenes_with_its_context_in_each():
    rule = SCOOTER.rules[0]
    assert derivable(SCOOTER, rule)
    got = {s.kind: {c.name: c.count for c in s.classes} for s in candidate_scenarios(SCOOTER, rule)}
    assert got == {"compliant": {"person": 1, "helmet": 1, "e_scooter": 1},
                   "violating": {"person": 1, "e_scooter": 1},  # no 'without an e scooter'
                   "hard_negative": {"person": 1, "e_scooter": 1},
                   "edge_case": {"person": 2, "helmet": 1, "e_scooter": 1}}
    assert all("with an e scooter" in s.description for s in candidate_scenarios(SCOOTER, rule))


def test_a_prohibition_on_a_held_item_shows_the_item_when_violated():
    p = policy(("person", "person"), ("phone", "held"),
               rules=[("No phones on the shop floor.", ["person", "phone"])])
    got = {s.kind: [c.name for c in s.classes] for s in candidate_scenarios(p, p.rules[0])}
    assert got == {"compliant": ["person"], "violating": ["person", "phone"]}


@pytest.mark.parametrize("classes, rule_classes", [
    ((("forklift", "standalone"), ("walkway", "standalone")), ["forklift", "walkway"]),
    ((("hard_hat", "worn_on_head"),), ["hard_hat"]),  # nobody to wear it
])
def test_rules_code_cannot_derive_are_left_to_the_model(classes, rule_classes):
    p = policy(*classes, rules=[("a rule", rule_classes)])
    assert not derivable(p, p.rules[0]) and candidate_scenarios(p, p.rules[0]) == []


@pytest.mark.parametrize("kind, text, problem", [
    ("violating", "a rider on an e-scooter wearing a helmet", "asks for helmet"),
    ("violating", "a rider without a helmet on an e-scooter", None),
    ("violating", "a rider in a cap instead of a helmet", None),
    ("violating", "a rider with a bare head, no helmet", None),
    ("compliant", "a rider in a helmet on an e-scooter", None),
    ("compliant", "ok", "too short"),
])
def test_a_description_may_not_ask_for_a_class_its_scene_lacks(kind, text, problem):
    scene = next(s for s in candidate_scenarios(SCOOTER, SCOOTER.rules[0]) if s.kind == kind)
    got = description_problem(SCOOTER, scene, text)
    assert (got is None) if problem is None else (problem in got)


def test_each_scene_breaks_only_its_own_rule():
    """Two requirement rules: the hard-hat rule's scenes wear the required vest (one per
    person), so its violating scene misses only the hard hat."""
    p = policy(("person", "person"), ("hard_hat", "worn_on_head"), ("vest", "worn_on_body"),
               rules=[("Workers wear a hard hat.", ["person", "hard_hat"]),
                      ("Workers wear a vest.", ["person", "vest"])])
    got = {s.kind: {c.name: c.count for c in s.classes} for s in candidate_scenarios(p, p.rules[0])}
    assert got == {"compliant": {"person": 1, "hard_hat": 1, "vest": 1},
                   "violating": {"person": 1, "vest": 1},
                   "hard_negative": {"person": 1, "vest": 1},
                   "edge_case": {"person": 2, "hard_hat": 1, "vest": 2}}
    violating = next(s for s in candidate_scenarios(p, p.rules[0]) if s.kind == "violating")
    assert violating.description == "a person without a hard hat, wearing a vest"
    assert description_problem(p, violating, "a worker in a vest with a bare head") is None
