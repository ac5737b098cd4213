"""The planner over the analysis' candidates: allocation by expected gain with exploration
and near misses, the enum-constrained choice schema, and code's refusals."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from synthloop.agent.planning import allocate, choice_schema, floor_size, validate_choice
from synthloop.agent.planning.to_specs import plan_to_specs
from synthloop.tools.analysis import Candidate, WeaknessAnalysis
from tests.support.factories import hard_hat_policy


def cand(cid, key, gain, *, cls=None, fixed=None, kind="condition", resp="untried",
         found=6, support=40, near=None, added=0):
    return Candidate(id=cid, kind=kind, key=key, cls=cls, fixed=fixed or {}, support=support,
                     found=found, recall=found / support, reference=0.9,
                     reference_label="expected", z=-5.0, excess_misses=gain,
                     expected_gain=gain, responsiveness=resp, near_miss=near or [],
                     images_added=added)


@pytest.fixture
def analysis():
    night = cand("C1", "lighting=night × hard_hat", 30.0, cls="hard_hat",
                 fixed={"lighting": "night"},
                 near=[{"lighting": "night", "scenario": "with_hat"}])
    hats = cand("C2", "class=hard_hat", 10.0, cls="hard_hat", kind="class", found=20)
    day = cand("C3", "lighting=day", 0.0, fixed={"lighting": "day"}, found=30)
    stuck = cand("X1", "lighting=dusk", 0.0, fixed={"lighting": "dusk"}, resp="data-insensitive",
                 added=40)
    return WeaknessAnalysis(candidates=[night, hats, day], insensitive=[stuck])


def test_allocation_follows_expected_gain_keeps_exploration_and_near_misses(analysis):
    targets = allocate(analysis, 100, min_per_target=10, max_targets=2)
    exploit = [t for t in targets if t.purpose == "exploit"]
    explore = [t for t in targets if t.purpose == "explore"]
    assert [t.candidate for t in exploit] == ["C1", "C2"]
    assert exploit[0].count > exploit[1].count >= 10
    assert sum(t.count for t in targets) == 100
    # the exploration share goes to candidates outside the plan, never to a slice already
    # found data-insensitive (X1)
    assert [t.candidate for t in explore] == ["C3"] and sum(t.count for t in explore) == 10
    assert exploit[0].near_miss_count == round(exploit[0].count * 0.5)
    assert exploit[1].near_miss_count == 0  # it has no missed combinations
    assert "found" in exploit[0].evidence


def test_with_nothing_to_explore_the_share_goes_to_the_targets(analysis):
    only = analysis.model_copy(update={"candidates": analysis.candidates[:2]})
    targets = allocate(only, 100, min_per_target=10)
    assert {t.purpose for t in targets} == {"exploit"} and sum(t.count for t in targets) == 100


def test_no_candidates_means_no_targets():
    assert allocate(WeaknessAnalysis(), 100) == []


def test_the_schema_only_admits_candidate_ids_and_policy_axes():
    schema = choice_schema(["C1", "C2"], ["lighting"])
    js = json.dumps(schema.model_json_schema())
    assert '"C1"' in js and '"C2"' in js
    ok = schema.model_validate({"choices": [{"candidate": "C2", "share": 50, "hypothesis": "x"}]})
    assert ok.choices[0].candidate == "C2"
    with pytest.raises(ValidationError):  # what the 1.5B model wrote in the old free form
        schema.model_validate({"choices": [{"candidate": "hard_hat=background", "share": 50,
                                            "hypothesis": "x"}]})
    with pytest.raises(ValidationError):
        schema.model_validate({"choices": [{"candidate": "C1", "share": 50, "hypothesis": "x"}],
                               "new_values": [{"axis": "hard_hat", "value": "x",
                                               "hypothesis": "y"}]})


def _plan(analysis, *choices, new_values=()):
    schema = choice_schema([c.id for c in analysis.candidates], ["lighting"])
    return schema.model_validate({"rationale": "r", "choices": list(choices),
                                  "new_values": list(new_values)})


def test_a_valid_choice_is_followed_with_its_shares(analysis):
    policy = hard_hat_policy()
    plan = _plan(analysis, {"candidate": "C1", "share": 75,
                            "hypothesis": "hats vanish at night: 6/40 found"},
                 {"candidate": "C2", "share": 25, "hypothesis": "hats are small, recall 0.50"})
    v = validate_choice(plan, analysis=analysis, policy=policy, budget=100, floor=10)
    assert v.source == "llm" and v.total() == 100 and v.floor == 10
    exploit = [t for t in v.targets if t.purpose == "exploit"]
    assert [t.candidate for t in exploit] == ["C1", "C2"]
    # shares above the per-target minimum (10) follow the 75:25 split
    assert exploit[0].count - 10 == pytest.approx(3 * (exploit[1].count - 10), abs=2)
    assert exploit[0].hypothesis == "hats vanish at night: 6/40 found"
    assert v.candidates == ["C1", "C2"]  # C3 has no expected gain: not offered to the LLM


@pytest.mark.parametrize("choices,why", [
    ([{"candidate": "C1", "share": 50, "hypothesis": "it is dark"}], "cites none of its numbers"),
    ([{"candidate": "C1", "share": 50, "hypothesis": "6/40 found"},
      {"candidate": "C1", "share": 50, "hypothesis": "6/40 found"}], "chosen twice"),
])
def test_evidence_free_or_duplicate_choices_are_refused_and_shown(analysis, choices, why):
    v = validate_choice(_plan(analysis, *choices), analysis=analysis, policy=hard_hat_policy(),
                        budget=100, floor=10)
    assert any(why in d for d in v.dropped)
    if why == "cites none of its numbers":  # nothing left: the allocator's plan, and why
        assert v.source == "fallback: every choice in the LLM's plan was refused"
        assert v.targets and v.total() == 100
    else:
        assert v.source == "llm" and len([t for t in v.targets if t.candidate == "C1"]) == 1


def test_llm_failure_falls_back_with_the_reason(analysis):
    v = validate_choice(None, analysis=analysis, policy=hard_hat_policy(), budget=60, floor=5,
                        llm_error="StructuredOutputError: prose")
    assert v.source.startswith("fallback: LLM failed: StructuredOutputError")
    assert v.total() == 60 and v.targets[0].candidate == "C1"


def test_new_values_are_checked(analysis):
    plan = _plan(analysis, {"candidate": "C1", "share": 100, "hypothesis": "6/40 found"},
                 new_values=[{"axis": "lighting", "value": "hard_hat", "hypothesis": "h"},
                             {"axis": "lighting", "value": "floodlit", "hypothesis": "glare"}])
    v = validate_choice(plan, analysis=analysis, policy=hard_hat_policy(), budget=100, floor=10)
    assert any("names a class" in d for d in v.dropped)
    new = [t for t in v.targets if t.purpose == "new value"]
    assert [(t.fixed, t.count) for t in new] == [({"lighting": "floodlit"}, 9)]
    assert v.total() == 100


def test_class_floor_is_never_zero_when_there_is_budget():
    policy = hard_hat_policy()
    assert floor_size(policy, 10, 0.0) == len(policy.classes)
    assert floor_size(policy, 0, 0.5) == 0


def test_near_miss_specs_reproduce_the_missed_variables(analysis):
    policy = hard_hat_policy()
    v = validate_choice(None, analysis=analysis, policy=policy, budget=40, floor=4)
    specs, per_slice = plan_to_specs(policy, v, iteration=1, base_seed=7)
    near = [s for s in specs if s.origin.endswith("(near miss)")]
    first = v.targets[0]
    assert len(near) == first.near_miss_count > 0
    assert all(s.variables["lighting"] == "night" and s.scenario_id == "with_hat" for s in near)
    assert len({s.seed for s in near}) == len(near)  # new seeds, not copies
    assert per_slice["lighting=night × hard_hat"] == first.count
    # the same plan gives the same specs (a resumed iteration regenerates nothing)
    again, _ = plan_to_specs(policy, v, iteration=1, base_seed=7)
    assert [s.id for s in again] == [s.id for s in specs]


def test_the_llm_sees_the_best_six_candidates_in_short_lines():
    from synthloop.agent.planning.choose import choosable
    from synthloop.agent.planning.weakness_step import candidate_lines, note_lines

    many = WeaknessAnalysis(candidates=[cand(f"C{i}", f"lighting=v{i}", 30.0 - i)
                                        for i in range(1, 10)])
    assert choosable(many) == [f"C{i}" for i in range(1, 7)]
    lines = candidate_lines(many).splitlines()
    assert [ln.split()[0] for ln in lines] == choosable(many)
    first = many.candidates[0]
    assert lines[0] == (f"C1 lighting=v1: {first.found}/{first.support} found, recall "
                        f"{first.recall:.2f} vs {first.reference:.2f} (z {first.z:+.1f}); gain 29.0")
    # the schema's enum is the same six: C7 cannot be chosen
    schema = choice_schema(choosable(many), [])
    with pytest.raises(ValidationError):
        schema.model_validate({"choices": [{"candidate": "C7", "share": 100, "hypothesis": "x"}]})
    stuck = WeaknessAnalysis(insensitive=[cand("X1", "distance=far", 0.0, resp="data-insensitive")])
    assert note_lines(stuck) == "distance=far is data-insensitive (more images did not move it)"


def test_a_plan_that_leaves_out_a_comparable_candidate_gets_it_added_and_says_so():
    night = cand("C1", "lighting=night", 30.0, fixed={"lighting": "night"})
    hats = cand("C2", "class=hard_hat", 20.0, cls="hard_hat", kind="class", found=20)
    small = cand("C3", "weather=fog", 9.0, fixed={"weather": "fog"})
    a = WeaknessAnalysis(candidates=[night, hats, small])
    def ch(cid, share, hyp):
        return {"candidate": cid, "share": share, "hypothesis": hyp}
    v = validate_choice(_plan(a, ch("C1", 100, "night: 6/40 found, recall 0.15")), analysis=a,
                        policy=hard_hat_policy(), budget=100, floor=10)
    exploit = {t.candidate: t for t in v.targets if t.purpose == "exploit"}
    assert v.source == "llm" and set(exploit) == {"C1", "C2"}  # C3 (9 < 15) stays out
    # C2 gets what the allocator gives it beside C1 (by expected gain, 10 at least each)
    from synthloop.agent.planning.allocator import split_by_weight

    explore = sum(t.count for t in v.targets if t.purpose == "explore")
    assert exploit["C2"].count == split_by_weight(90 - explore, [30.0, 20.0], 10)[1] == 34
    assert exploit["C1"].hypothesis.startswith("night")  # the LLM's own words are kept
    assert len(v.adjusted) == 1 and v.adjusted[0].startswith("added C2 (class=hard_hat)")
    assert v.total() == 100
    # choosing both needs no adjustment
    both = validate_choice(_plan(a, ch("C1", 60, "6/40 found"), ch("C2", 40, "20/40 found")),
                           analysis=a, policy=hard_hat_policy(), budget=100, floor=10)
    assert both.adjusted == []


def test_exploration_targets_carry_their_numbers(analysis):
    explore = [t for t in allocate(analysis, 100, max_targets=2) if t.purpose == "explore"]
    c3 = analysis.get("C3")
    assert explore and explore[0].hypothesis.startswith(
        f"explore: {c3.found}/{c3.support} found, recall {c3.recall:.2f} vs 0.90")
