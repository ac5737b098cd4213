"""Drafting with a scripted LLM, end to end: conversion and safe repairs, the critic pass
triggered by a lint error (and its quoting of the findings), fallbacks when the model
fails, scenario and axis derivation with code filling the gaps, goal checks."""

from __future__ import annotations

import pytest

from synthloop.agent.design import derive_scenarios, design_policy, draft_policy, propose_axes
from synthloop.agent.llm import LLMUnavailable, ScriptedLLM
from synthloop.tools.design import has_errors, lint_policy
from synthloop.tools.errors import ValidationError
from tests.support.llm_replies import (
    AXES_TO_REPAIR,
    CLEAN_DRAFT,
    HAT,
    PERSON,
    SCENARIOS_TO_REPAIR,
    WORDINGS_TO_CHECK,
)

ABSTRACT = {**CLEAN_DRAFT, "classes": [PERSON, HAT, {"name": "safety_compliance",
                                                     "appears": "standalone"}]}


def test_design_end_to_end_without_critic(ws, no_network):
    llm = ScriptedLLM([CLEAN_DRAFT, WORDINGS_TO_CHECK, AXES_TO_REPAIR], workspace=ws)
    stages = []
    r = design_policy(llm, "Workers wear a hard hat", progress=stages.append)
    assert [c.template for c in llm.calls] == ["draft_policy", "describe_scenarios", "propose_axes"]
    assert len(stages) == 3 and not r.draft.critic_used
    p = r.policy
    assert p.class_names() == ["person", "hard_hat"] and p.rules[0].id == "R1"
    assert [s.kind for s in p.scenarios] == ["compliant", "violating", "hard_negative", "edge_case"]
    shows = {s.kind: {c.name: c.count for c in s.classes} for s in p.scenarios}
    assert shows == {"compliant": {"person": 1, "hard_hat": 1}, "violating": {"person": 1},
                     "hard_negative": {"person": 1}, "edge_case": {"person": 2, "hard_hat": 1}}
    cap = next(s for s in p.scenarios if "cap" in s.description)
    assert cap.description == "a worker in a baseball cap instead of a hard hat"
    assert cap.weight == pytest.approx(0.5 * 0.4 * 1.5)  # code's 0.5 x rare x high risk
    bare = next(s for s in p.scenarios if s.kind == "violating")  # asked for a hat it lacks
    assert bare.description == "a person without a hard hat"  # code's wording kept
    assert any(f"scenario {bare.id}: refused the model's description 'a worker wearing a hard "
               "hat' (it asks for hard hat" in n for n in r.notes)
    scenario_prompt = llm.calls[1].messages[-1]["content"]
    assert "k2 R1 violating, shows 1 person: a person without a hard hat" in scenario_prompt
    axes = {a.name: a for a in p.axes}
    assert axes["lighting"].value_names() == ["day", "night"]
    assert axes["skin_tone"].fairness and "site_area" in axes
    assert 3 < len(p.axes) <= 12 and all(len(a.values) <= 12 for a in p.axes)
    assert not has_errors(r.findings) and r.findings == lint_policy(p)
    assert any("dropped duplicate value" in n for n in r.notes)
    assert ws.counts()["llm_calls"] == 3 and no_network == []


def test_a_rule_code_cannot_derive_gets_the_models_scenarios_repaired():
    """A rule about standalone objects (no person wears or holds anything) is left to the
    model's own list: rule ids and class names matched, unknown classes and scenarios of
    other rules dropped, code's gaps filled."""
    walkway = {"title": "Walkways", "classes": [
        {"name": "forklift", "appears": "standalone"},
        {"name": "walkway_marking", "appears": "standalone"}],
        "rules": [{"text": "Forklifts stay out of the walkway.",
                   "classes": ["forklift", "walkway_marking"]}]}
    listed = {"scenarios": [
        {"rule": "r1", "kind": "violating", "description": "a forklift on the walkway",
         "shows": [{"name": "Forklift"}, {"name": "walkway marking"}, {"name": "pallet"}],
         "frequency": "rare", "risk": "high", "violation": True},
        {"rule": "R7", "kind": "violating", "description": "belongs to no rule", "shows": []}]}
    llm = ScriptedLLM([walkway, listed])
    draft = draft_policy(llm, "Forklifts stay out of the walkway").policy
    notes: list[str] = []
    p = derive_scenarios(llm, draft, notes=notes)
    assert [c.template for c in llm.calls] == ["draft_policy", "derive_scenarios"]
    on = next(s for s in p.scenarios if s.description == "a forklift on the walkway")
    assert [c.name for c in on.classes] == ["forklift", "walkway_marking"] and on.rule_id == "R1"
    assert on.weight == pytest.approx(0.4 * 1.5)  # rare x high risk
    assert not any("belongs to no rule" in s.description for s in p.scenarios)
    assert any("dropped 'pallet'" in n for n in notes)
    assert any("added compliant scenario" in n for n in notes)


def test_the_free_list_repairs_names_when_the_rule_is_not_derivable():
    """SCENARIOS_TO_REPAIR under a policy without a person class: nothing is worn by
    anyone, so the model's list is used and its loose names repaired."""
    no_person = {**CLEAN_DRAFT, "classes": [{"name": "hard_hat", "appears": "standalone"},
                                            {"name": "shelf", "appears": "standalone"}],
                 "rules": [{"text": "Hard hats are kept on the shelf.",
                            "classes": ["hard_hat", "shelf"]}]}
    draft = draft_policy(ScriptedLLM([no_person]), "hard hats on the shelf").policy
    notes: list[str] = []
    p = derive_scenarios(ScriptedLLM([SCENARIOS_TO_REPAIR]), draft, notes=notes)
    hat = next(s for s in p.scenarios if s.description == "a worker with a hard hat")
    assert [c.name for c in hat.classes] == ["hard_hat"]  # 'person' is no class here
    assert any("unknown rule 'R7'" in n for n in notes)


def test_lint_error_triggers_a_critic_pass_that_quotes_the_findings():
    llm = ScriptedLLM([ABSTRACT, CLEAN_DRAFT])
    r = draft_policy(llm, "Workers wear a hard hat")
    assert [c.template for c in llm.calls] == ["draft_policy", "critic_policy"]
    assert r.critic_used
    assert [f.code for f in r.findings_before if f.level == "error"] == ["abstract_class"]
    prompt = llm.calls[1].messages[-1]["content"]
    assert "error [abstract_class] classes[safety_compliance]:" in prompt
    assert '"safety_compliance"' in prompt  # the draft is shown back
    assert not has_errors(r.findings_after)
    assert r.policy.class_names() == ["person", "hard_hat"]
    assert any("critic pass: 1 lint error(s) -> 0" in n for n in r.notes)


def test_failed_critic_keeps_the_draft_and_code_removes_the_abstract_class():
    llm = ScriptedLLM([ABSTRACT, "not json", "still not json"])
    r = draft_policy(llm, "Workers wear a hard hat")
    assert r.critic_used and len(llm.calls) == 3
    assert any("critic pass failed" in n for n in r.notes)
    assert any("removed class safety_compliance" in n for n in r.notes)
    assert not has_errors(r.findings_after)


def test_critic_that_makes_things_worse_is_ignored():
    worse = {**ABSTRACT, "classes": [*ABSTRACT["classes"], {"name": "risk", "appears": "standalone"}]}
    r = draft_policy(ScriptedLLM([ABSTRACT, worse]), "Workers wear a hard hat")
    assert any("made things worse" in n for n in r.notes)
    assert "risk" not in r.policy.class_names()


def test_code_repairs_shallow_drafts():
    shallow = {"title": "Helmets", "classes": [{"name": "Bike Helmet", "appears": "worn_on_head"},
                                              {"name": "Rider", "appears": "standalone"}],
               "rules": [{"text": "Riders wear a bike helmet."},
                         {"text": "riders wear a bike helmet!"},
                         {"text": "Riders keep a phone out of their hands", "classes": ["phone"]}]}
    r = draft_policy(ScriptedLLM([shallow]), "riders wear helmets")
    p = r.policy
    assert p.get_class("bike_helmet") and p.get_class("rider").appears == "person"
    assert p.rules[0].classes == ["bike_helmet", "rider"]  # taken from the rule's own text
    assert len(p.rules) == 2  # the repeated rule was dropped
    assert p.get_class("phone").appears == "held"  # named by a rule, so adopted
    assert all(c.description for c in p.classes)
    assert not r.critic_used and not has_errors(r.findings_after)


def test_feedback_reaches_the_prompt():
    llm = ScriptedLLM([CLEAN_DRAFT])
    draft_policy(llm, "Workers wear a hard hat", feedback="add   a vest class")
    assert "follow it: add a vest class" in llm.calls[0].messages[-1]["content"]


@pytest.mark.parametrize("goal,match", [("", "empty"), ("   \n\t", "empty"),
                                        ("x" * 10_001, "10,001 characters")])
def test_bad_goals_fail_before_any_llm_call(goal, match):
    llm = ScriptedLLM([])
    with pytest.raises(ValidationError, match=match):
        draft_policy(llm, goal)
    assert llm.calls == []


def test_goal_in_another_language_is_drafted_in_english():
    r = draft_policy(ScriptedLLM([CLEAN_DRAFT]), "Arbeiter müssen auf der Baustelle einen Helm tragen")
    assert any("German" in n and "English" in n for n in r.notes)


def test_scenario_fallback_when_the_model_fails():
    draft = draft_policy(ScriptedLLM([CLEAN_DRAFT]), "Workers wear a hard hat").policy
    notes: list[str] = []
    p = derive_scenarios(ScriptedLLM([LLMUnavailable("down")]), draft, notes=notes)
    kinds = {s.kind for s in p.scenarios}
    assert {"compliant", "violating", "hard_negative", "edge_case"} <= kinds
    assert any("no usable scenario wording" in n for n in notes)
    assert not [f for f in lint_policy(p) if f.code.startswith("rule_no_")]


def test_axes_fallback_and_bounds():
    draft = draft_policy(ScriptedLLM([CLEAN_DRAFT]), "Workers wear a hard hat").policy
    many = {"axes": [{"name": f"axis {i}", "values": [f"v{j}" for j in range(8)]} for i in range(6)]}
    p = propose_axes(ScriptedLLM([many]), draft)
    assert 6 <= len(p.axes) <= 12
    notes: list[str] = []
    p = propose_axes(ScriptedLLM([LLMUnavailable("down")]), draft, notes=notes)
    assert {"lighting", "distance", "skin_tone"} <= {a.name for a in p.axes}
    assert any("using defaults" in n for n in notes)


def test_classification_scenarios_get_labels():
    spill = {"title": "Spills", "task": "classification",
             "classes": [{"name": "spill", "appears": "standalone"},
                         {"name": "wet_floor_sign", "appears": "standalone"}],
             "rules": [{"text": "A spill has a wet-floor sign next to it.",
                        "classes": ["spill", "wet_floor_sign"]}]}
    scen = {"scenarios": [
        {"rule": "R1", "kind": "compliant", "description": "a marked spill",
         "shows": [{"name": "spill"}, {"name": "wet_floor_sign"}]},
        {"rule": "R1", "kind": "hard_negative", "description": "a shiny dry floor", "shows": []}]}
    r = design_policy(ScriptedLLM([spill, scen, {"axes": [{"name": "lighting", "values": ["a", "b"]}]}]),
                      "spills are marked")
    labels = {s.kind: s.label for s in r.policy.scenarios}
    assert labels["compliant"] == "compliant" and labels["violating"] == "violating"
    assert labels["hard_negative"] == "compliant"
    assert not has_errors(r.findings)
    assert "skin_tone" not in {a.name for a in r.policy.axes}  # no people in this policy
