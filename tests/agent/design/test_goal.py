"""Goals with no compliance content are refused by code before a model invents a policy
from them; real goals in any language pass; a long goal says what the policy keeps."""

from __future__ import annotations

import pytest

from synthloop.agent.design import check_goal
from synthloop.agent.design.convert import draft_to_policy
from synthloop.agent.design.schemas import PolicyDraft
from synthloop.tools.errors import ValidationError
from tests.support.llm_replies import HARD_HAT_DRAFT


@pytest.mark.parametrize("goal,why", [
    ("🦺🦺🦺", "no words (only symbols or emoji)"),
    ("!!! ??? 123 456", "no words"),
    ("a" * 10_000, "mostly the letter 'a' repeated (10,000 of 10,000)"),
    ("a " * 3_000, "mostly the letter 'a'"),
    ("hard hat " * 500, "repeats 'hard', 'hat' 1,000 times"),
    ("qwrtzpsdfghjklxcvbnmqwrtzpsdfghjklxcvbnmqwrtzp " * 3, "no word of a real length"),
])
def test_nonsense_goals_are_refused_with_the_reason_and_a_hint(goal, why):
    with pytest.raises(ValidationError) as exc:
        check_goal(goal)
    assert exc.value.exit_code == 2
    assert exc.value.message.startswith("the goal has no compliance content to design from: it ")
    assert why in exc.value.message
    assert "hard hat" in exc.value.hint  # an example of a goal that works


@pytest.mark.parametrize("goal", [
    "workers wear a hard hat and a hi-vis vest",
    "PPE",
    "Arbeiter müssen auf der Baustelle einen Helm tragen",
    "工人必须戴安全帽",
    "🦺 vests on everyone in the loading bay 🦺",
])
def test_real_goals_pass(goal):
    text, _ = check_goal(goal)
    assert text


def test_a_long_goal_says_what_the_policy_keeps_and_why():
    gear = ["a hard hat", "a hi-vis vest", "safety glasses", "ear defenders", "steel-toe boots",
            "cut-resistant gloves", "a respirator", "a face shield", "a harness", "knee pads"]
    places = ["the loading bay", "the paint shop", "the welding line", "the warehouse aisles",
              "the roof", "the forklift lanes", "the press room", "the yard", "the stairwells",
              "the packing hall", "the boiler house", "the quarry edge"]
    who = ["Workers", "Visitors", "Drivers", "Contractors", "Supervisors", "Cleaners"]
    goal = " ".join(f"{w} in {p} must wear {g} at all times, day or night."
                    for w in who[:3] for p in places for g in gear[:2])
    text, notes = check_goal(goal)
    assert 2_000 < len(text) <= 10_000
    (note,) = notes
    assert f"{len(text):,} characters" in note and "first 2,000" in note
    assert "drafting model reads all of it" in note
    policy, changes = draft_to_policy(PolicyDraft.model_validate(HARD_HAT_DRAFT), text)
    assert policy.goal == text[:2_000]
    assert any("first 2,000 of the goal's" in c and "read all of it" in c for c in changes)
