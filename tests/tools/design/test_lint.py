"""Lint on hand-written good and bad policies: each defect gives its finding, with the
level and a message a reviewer can act on."""

from __future__ import annotations

import pytest

from synthloop.tools.design import example_names, has_errors, lint_policy, load_example_policy
from synthloop.tools.models import AxisValue, ClassCount, ObjectClass, Rule, Scenario, VariableAxis
from tests.support.factories import helmet_policy


def codes(policy, level=None, **kw):
    return {f.code for f in lint_policy(policy, **kw) if level is None or f.level == level}


def test_good_policy_is_clean():
    assert lint_policy(helmet_policy()) == []


@pytest.mark.parametrize("name", example_names())
def test_examples_have_no_errors(name):
    assert not has_errors(lint_policy(load_example_policy(name)))


def _with_class(name, appears="standalone"):
    p = helmet_policy()
    return helmet_policy(classes=[*p.classes, ObjectClass(name=name, appears=appears)])


def _bad_axis(values):
    p = helmet_policy()
    return helmet_policy(axes=[*p.axes, VariableAxis(name="weather", values=values)])


def _drop_scenario(kind):
    p = helmet_policy()
    return helmet_policy(scenarios=[s for s in p.scenarios if s.kind != kind])


def _rule(**kw):
    return Rule(**{"id": "R2", "text": "Something else.", "classes": ["person"], **kw})


CASES = [
    # (description, policy factory, level, code)
    ("abstract class", lambda: _with_class("compliance"), "error", "abstract_class"),
    ("abstract head noun", lambda: _with_class("image_quality"), "error", "abstract_class"),
    ("abstract compound", lambda: _with_class("helmet_violation"), "error", "abstract_class"),
    ("scene condition", lambda: _with_class("lighting"), "error", "class_is_axis"),
    ("near duplicate", lambda: _with_class("helmets"), "error", "class_near_duplicate"),
    ("absence class", lambda: _with_class("no_helmet"), "warning", "negative_class"),
    ("unused class", lambda: _with_class("traffic_cone"), "warning", "class_unused"),
    ("no classes", lambda: helmet_policy(classes=[], rules=[], scenarios=[]), "error", "no_classes"),
    ("too many classes", lambda: helmet_policy(
        classes=[ObjectClass(name=f"thing{i}") for i in range(21)], rules=[], scenarios=[]),
     "error", "too_many_classes"),
    ("worn without person", lambda: helmet_policy(
        classes=[ObjectClass(name="helmet", appears="worn_on_head")],
        rules=[Rule(id="R1", text="Wear helmets.", classes=["helmet"])], scenarios=[]),
     "error", "no_person_class"),
    ("rule with unknown class", lambda: helmet_policy(
        rules=[Rule(id="R1", text="Riders wear a helmet.", classes=["person", "goggles"])]),
     "error", "rule_unknown_class"),
    ("rule without classes", lambda: helmet_policy(
        rules=[*helmet_policy().rules, _rule(classes=[])]), "warning", "rule_no_classes"),
    ("rule without violating", lambda: _drop_scenario("violating"), "error", "rule_no_violating"),
    ("rule without compliant", lambda: _drop_scenario("compliant"), "error", "rule_no_compliant"),
    ("duplicate rule text", lambda: helmet_policy(
        rules=[*helmet_policy().rules, _rule(text="riders wear helmets!")]), "error",
     "duplicate_rule"),
    ("too many rules", lambda: helmet_policy(
        rules=[Rule(id=f"R{i}", text=f"rule number {i}", classes=["person"]) for i in range(31)],
        scenarios=[]), "error", "too_many_rules"),
    ("scenario of unknown rule", lambda: helmet_policy(scenarios=[*helmet_policy().scenarios, Scenario(
        id="x", rule_id="R9", kind="edge_case", classes=[ClassCount(name="person")])]),
     "error", "scenario_unknown_rule"),
    ("scenario with unknown class", lambda: helmet_policy(scenarios=[*helmet_policy().scenarios, Scenario(
        id="x", rule_id="R1", kind="edge_case", classes=[ClassCount(name="cap")])]),
     "error", "scenario_unknown_class"),
    ("no contrast", lambda: helmet_policy(scenarios=[
        s.model_copy(update={"classes": helmet_policy().scenarios[0].classes})
        if s.kind == "violating" else s for s in helmet_policy().scenarios]), "warning", "no_contrast"),
    ("no hard negative", lambda: _drop_scenario("hard_negative"), "warning", "no_hard_negatives"),
    ("empty axis", lambda: _bad_axis([]), "error", "axis_empty"),
    ("duplicate axis value", lambda: _bad_axis([AxisValue(value="rain"), AxisValue(value="Rain")]),
     "error", "axis_duplicate_value"),
    ("too many values", lambda: _bad_axis([AxisValue(value=f"w{i}") for i in range(13)]),
     "error", "axis_too_many_values"),
    ("single value", lambda: _bad_axis([AxisValue(value="rain")]), "warning", "axis_single_value"),
    ("too many axes", lambda: helmet_policy(axes=[
        VariableAxis(name=f"a{i}", values=[AxisValue(value="x"), AxisValue(value="y")])
        for i in range(13)]), "error", "too_many_axes"),
    ("no fairness axis", lambda: helmet_policy(axes=helmet_policy().axes[:2]), "warning",
     "no_fairness_axis"),
    ("classification with one label", lambda: helmet_policy(task="classification", scenarios=[
        s.model_copy(update={"label": "ok"}) for s in helmet_policy().scenarios]), "error",
     "one_label"),
]


@pytest.mark.parametrize("what,make,level,code", CASES, ids=[c[0] for c in CASES])
def test_each_defect_is_found(what, make, level, code):
    findings = [f for f in lint_policy(make()) if f.code == code]
    assert findings, f"{what}: expected {code}"
    assert findings[0].level == level
    assert findings[0].message and findings[0].where


def test_errors_come_first_and_lines_read_well():
    p = _with_class("safety")
    findings = lint_policy(p)
    levels = [f.level for f in findings]
    assert levels == sorted(levels, key=lambda x: x != "error")
    line = next(f for f in findings if f.code == "abstract_class").one_line()
    assert line.startswith("error [abstract_class] classes[safety]:")


def test_draft_stage_skips_scenario_and_axis_checks():
    p = helmet_policy(scenarios=[], axes=[])
    assert {"rule_no_compliant", "rule_no_violating", "no_axes"} <= codes(p)
    assert codes(p, stage="draft") == set()
    assert "abstract_class" in codes(_with_class("risk"), stage="draft")


def test_visible_compounds_pass():
    for name in ("safety_vest", "hard_hat", "wet_floor_sign", "fire_extinguisher"):
        assert "abstract_class" not in codes(_with_class(name))
