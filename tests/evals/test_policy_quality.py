"""The policy-quality suite with a scripted LLM: what it measures per goal (lint before and
after the critic, rule coverage, LLM usage from llm_calls), failures as rows, its files."""

from __future__ import annotations

import json

import pytest

from synthloop.agent.llm import LLMUnavailable, ScriptedLLM
from synthloop.evals.goals import GOALS, goals_by_id
from synthloop.evals.policy_quality import (
    evaluate_goal,
    missing_objects,
    rescore,
    rule_coverage,
    run_suite,
    write_results,
)
from synthloop.tools.design import load_example_policy

PERSON = {"name": "person", "appears": "person", "description": "a worker"}
HAT = {"name": "hard_hat", "appears": "worn_on_head", "description": "a helmet"}
VEST = {"name": "hi_vis_vest", "appears": "worn_on_body", "description": "a vest"}
CLEAN = {"title": "PPE", "classes": [PERSON, HAT, VEST],
         "rules": [{"text": "Workers wear a hard hat.", "classes": ["person", "hard_hat"]},
                   {"text": "Workers wear a hi-vis vest.", "classes": ["person", "hi_vis_vest"]}]}
ABSTRACT = {**CLEAN, "classes": [PERSON, HAT, VEST,
                                 {"name": "safety_compliance", "appears": "standalone"}]}
SCENARIOS = {f"k{i}": {"description": f"worker {i} at the site gate", "frequency": "common"}
             for i in range(1, 9)}  # code computes both rules' 4 scenes; the model words them
SCENARIOS["k2"] = {"description": "a worker wearing a hard hat", "frequency": "common"}
AXES = {"axes": [{"name": "lighting", "values": ["day", "night"]}]}


def test_goals_are_many_distinct_and_selectable():
    assert len(GOALS) >= 12 and len({g.id for g in GOALS}) == len(GOALS)
    assert len({g.text for g in GOALS}) == len(GOALS)
    assert [g.id for g in goals_by_id(["ppe", "dog_leash"])] == ["ppe", "dog_leash"]
    with pytest.raises(ValueError, match="nope"):
        goals_by_id(["nope"])


def test_rule_coverage_counts_rules_with_both_kinds():
    p = load_example_policy("ppe")
    assert rule_coverage(p) == (2, 2)
    only_r1 = p.model_copy(update={"scenarios": [s for s in p.scenarios
                                                 if not (s.rule_id == "R2" and s.kind == "violating")]})
    assert rule_coverage(only_r1) == (1, 2)


def test_a_clean_design_passes_and_its_llm_usage_is_read_from_the_workspace(ws):
    llm = ScriptedLLM([CLEAN, SCENARIOS, AXES], workspace=ws)
    row, last = evaluate_goal(llm, ws, goals_by_id(["ppe"])[0], after_id=0)
    assert row["error"] is None and row["passed"]
    assert row["lint_errors_draft"] == row["lint_errors_after_critic"] == row["lint_errors_final"] == 0
    assert not row["critic_used"] and row["every_rule_covered"] and row["rules"] == 2
    assert row["missing_objects"] == [] and row["expected_found"] == 2 and row["untestable_rules"] == 0
    # code refused the wording that asks a bare-headed scene for a hard hat
    assert "violating" in row["scenario_kinds"] and row["repairs"] > 0
    assert row["axes"] >= 2 and 0 < row["pairwise_rows"] <= row["full_product"]
    assert row["llm"]["calls"] == 3 and row["llm"]["templates"] == [
        "draft_policy", "describe_scenarios", "propose_axes"]
    assert last == 3
    # the next goal only counts its own calls
    llm.replies += [CLEAN, SCENARIOS, AXES]
    row2, last2 = evaluate_goal(llm, ws, goals_by_id(["hairnet"])[0], after_id=last)
    assert row2["llm"]["calls"] == 3 and last2 == 6
    # a clean design of the wrong objects fails the semantic check
    assert not row2["passed"] and row2["missing_objects"] == ["hairnet/hair_net", "glove"]


def test_missing_objects_and_rescoring_a_saved_result():
    harness = goals_by_id(["harness_de"])[0]
    assert missing_objects(["person", "safety_helmet"], harness) == ["harness/belt/gurt"]
    assert missing_objects(["worker", "Safety_Harness"], harness) == []
    row = {"id": "no_smoking_fuel", "error": None, "class_names": ["person", "fuel_pump"],
           "lint_errors_final": 0, "every_rule_covered": True, "passed": True,
           "final_findings": ["warning [no_contrast] rules[R1]: same classes"]}
    again = rescore({"goals": [row, {"id": "ppe", "error": "boom", "passed": False}]})
    r = again["goals"][0]
    assert r["untestable_rules"] == 1 and r["missing_objects"] == ["cigarette/smok"]
    assert not r["passed"] and again["passed"] == 0 and again["total"] == 2


def test_a_lint_error_is_counted_before_and_after_the_critic(ws):
    llm = ScriptedLLM([ABSTRACT, CLEAN, SCENARIOS, AXES], workspace=ws)
    row, _ = evaluate_goal(llm, ws, GOALS[0], after_id=0)
    assert row["critic_used"] and row["lint_errors_draft"] >= 1
    assert row["lint_errors_after_critic"] == 0 and row["passed"]
    assert row["llm"]["templates"][:2] == ["draft_policy", "critic_policy"]
    assert row["classes"] == 3  # the critic's fixed draft (without the abstract class) kept


def test_an_llm_that_fails_gives_a_failed_row_not_a_crash(ws):
    down = LLMUnavailable("endpoint down")
    llm = ScriptedLLM([down, down, down, down], workspace=ws)
    row, _ = evaluate_goal(llm, ws, GOALS[0], after_id=0)
    assert row["passed"] is False and "LLMUnavailable" in row["error"]


def test_suite_writes_table_json_and_plot(tmp_path, no_network):
    replies = [CLEAN, SCENARIOS, AXES, LLMUnavailable("down"), LLMUnavailable("down"),
               LLMUnavailable("down"), LLMUnavailable("down")]
    result = run_suite(["ppe", "fire_exit"], work=tmp_path / "work", show=False,
                       make_llm=lambda ws: ScriptedLLM(replies, workspace=ws))
    assert result["total"] == 2 and result["passed"] == 1 and result["pass_rate"] == 0.5
    paths = write_results(result, tmp_path / "out", "pq")
    md = paths["markdown"].read_text()
    assert "pass rate 1/2" in md and "| ppe | yes |" in md and "| fire_exit | **error** |" in md
    assert json.loads(paths["json"].read_text())["goals"][0]["id"] == "ppe"
    assert paths["plots"][0].stat().st_size > 1000
