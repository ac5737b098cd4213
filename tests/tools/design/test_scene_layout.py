"""Layouts: valid boxes, worn items inside their wearer's box (head on top, vest on the
torso), parents pointing at person boxes, people counted as the scenario says, scale
following the distance variable."""

from __future__ import annotations

import random

import pytest

from synthloop.tools.design import expand_specs, load_example_policy, scale_for
from synthloop.tools.design.layout import place_layout, plan_scene


def inside(inner, outer) -> bool:
    return (outer[0] <= inner[0] < inner[2] <= outer[2]
            and outer[1] <= inner[1] < inner[3] <= outer[3])


@pytest.mark.parametrize("name", ["ppe", "scooter_helmet", "floor_spill"])
def test_boxes_valid_and_worn_items_inside_their_person(name):
    policy = load_example_policy(name)
    appears = {c.name: c.appears for c in policy.classes}
    for spec in expand_specs(policy, 400, strategy="random", seed=5):
        for b in spec.layout:
            x0, y0, x1, y1 = b.box
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
            kind = appears[b.cls]
            if kind in ("worn_on_head", "worn_on_body", "held"):
                assert b.parent is not None
                person = spec.layout[b.parent]
                assert appears[person.cls] == "person"
                if kind != "held":
                    assert inside(b.box, person.box), (b, person)
            if kind == "worn_on_head":
                top = person.box[1] + 0.2 * (person.box[3] - person.box[1])
                assert b.box[3] <= top + 1e-9
            if kind == "worn_on_body":
                h = person.box[3] - person.box[1]
                assert b.box[1] >= person.box[1] + 0.15 * h - 1e-9
                assert b.box[3] <= person.box[1] + 0.6 * h + 1e-9
            if kind in ("person", "standalone"):
                assert b.parent is None


def test_people_and_items_follow_the_scenario_counts():
    policy = load_example_policy("ppe")
    for sid, people, hats, vests in [("fully_equipped", 1, 1, 1), ("no_hard_hat", 1, 0, 1),
                                     ("one_of_two_bare_headed", 2, 1, 2),
                                     ("group_one_without_vest", 3, 3, 2), ("no_ppe_at_all", 1, 0, 0)]:
        for spec in expand_specs(policy, 20, fixed={"scenario": sid}, seed=1):
            got = [b.cls for b in spec.layout]
            assert (got.count("person"), got.count("hard_hat"), got.count("hi_vis_vest")) == \
                (people, hats, vests), sid
            # the first people get the items: in the edge case the second person is bare-headed
            hat_parents = {b.parent for b in spec.layout if b.cls == "hard_hat"}
            assert hat_parents == set(range(hats))


def test_cap_scenario_has_no_hard_hat_but_says_cap():
    policy = load_example_policy("ppe")
    spec = next(expand_specs(policy, 1, fixed={"scenario": "cap_not_hard_hat"}))
    assert "hard_hat" not in {b.cls for b in spec.layout}
    assert "cap" in spec.prompt and "hard hat" in spec.negative_prompt


def test_distance_sets_the_scale():
    policy = load_example_policy("ppe")

    def mean_height(distance):
        hs = [b.box[3] - b.box[1] for s in expand_specs(
            policy, 60, fixed={"distance": distance, "scenario": "fully_equipped"}, seed=2)
            for b in s.layout if b.cls == "person"]
        return sum(hs) / len(hs)

    near, mid, far = mean_height("near"), mean_height("mid"), mean_height("far")
    assert near > mid > far
    assert near > 2 * far
    assert mean_height("very_far") < far  # a value no axis declared still scales


def test_scale_for_words_and_numbers():
    assert scale_for("near") > scale_for("mid") > scale_for("far") > scale_for("very far")
    assert scale_for("30%") == pytest.approx(0.3)
    assert scale_for("banana") == scale_for(None) == 0.5


def test_crowded_scene_stays_in_the_image():
    policy = load_example_policy("ppe")
    plan = plan_scene(policy, policy.get_scenario("group_one_without_vest"))
    rng = random.Random(0)
    for _ in range(200):
        boxes = place_layout(plan, 0.95, rng)
        assert sum(b[0] == "person" for b in boxes) == 3
        assert all(0 <= b[2][0] < b[2][2] <= 1 and 0 <= b[2][1] < b[2][3] <= 1 for b in boxes)
