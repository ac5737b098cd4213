"""Prompt-set expansion: deterministic per seed, streamed, prefix-stable, `fixed` honoured
(also for values no axis declares), ids equal to the validator's content hash, counts."""

from __future__ import annotations

import inspect
import itertools
from collections import Counter

import pytest

from synthloop.tools.design import STRATEGIES, count_specs, expand_specs, load_example_policy
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import GenerationSpec, ObjectClass
from tests.support.factories import axes_policy, helmet_policy

PPE = load_example_policy("ppe")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_deterministic_per_seed_and_seeds_differ(strategy):
    a = [s.id for s in expand_specs(PPE, 200, strategy=strategy, seed=4)]
    b = [s.id for s in expand_specs(PPE, 200, strategy=strategy, seed=4)]
    c = [s.id for s in expand_specs(PPE, 200, strategy=strategy, seed=5)]
    assert a == b and len(a) == 200 and len(set(a)) == 200
    assert a != c


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_prefix_stable_and_streamed(strategy):
    gen = expand_specs(PPE, 10**9, strategy=strategy, seed=1)
    assert inspect.isgenerator(gen)
    first = [s.id for s in itertools.islice(gen, 50)]
    assert first == [s.id for s in expand_specs(PPE, 50, strategy=strategy, seed=1)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_ids_match_the_validator(strategy):
    policy = helmet_policy(title="Schutzhelm \"Prüfung\" \\ ü 雨", classes=[
        c.model_copy(update={"description": f"{c.description} — «quoted» \"x\"\n\ttab"})
        for c in helmet_policy().classes])
    for spec in expand_specs(policy, 300, strategy=strategy, seed=9,
                             fixed={"weather": "snow"}, split="val", iteration=3, origin="t"):
        again = GenerationSpec.model_validate(spec.model_dump())
        assert again.id == spec.id
        assert again == spec
        assert GenerationSpec.model_validate_json(spec.model_dump_json()).id == spec.id


def test_over_long_prompt_takes_the_exact_path():
    fixed = {f"extra{i}": "x" * 60 for i in range(30)}
    specs = list(expand_specs(PPE, 5, fixed=fixed))
    assert all(len(s.prompt) == 2000 for s in specs)
    assert all(GenerationSpec.model_validate(s.model_dump()).id == s.id for s in specs)


def test_fixed_pins_declared_and_undeclared_values():
    specs = list(expand_specs(PPE, 100, fixed={"lighting": "night"}))
    assert {s.variables["lighting"] for s in specs} == {"night"}
    specs = list(expand_specs(PPE, 50, fixed={"lighting": "Low Sun Glare", "glare": "strong"}))
    assert {s.variables["lighting"] for s in specs} == {"low_sun_glare"}
    assert {s.variables["glare"] for s in specs} == {"strong"}
    assert all("low sun glare lighting" in s.prompt and "glare: strong" in s.prompt for s in specs)
    # everything else still varies
    assert len({s.variables["distance"] for s in specs}) == 3


def test_fixed_scenario_and_bad_fixed_values():
    specs = list(expand_specs(PPE, 30, fixed={"scenario": "no_vest", "distance": "far"}))
    assert {s.scenario_id for s in specs} == {"no_vest"}
    with pytest.raises(ValidationError, match="not a scenario"):
        list(expand_specs(PPE, 1, fixed={"scenario": "nope"}))
    with pytest.raises(ValidationError, match="snake_case"):
        list(expand_specs(PPE, 1, fixed={"../x": "1"}))
    with pytest.raises(ValidationError, match="non-empty"):
        list(expand_specs(PPE, 1, fixed={"lighting": " "}))
    with pytest.raises(ValidationError, match="strategy"):
        list(expand_specs(PPE, 1, strategy="greedy"))


def test_scenario_weights_restrict_and_reweight():
    specs = list(expand_specs(PPE, 300, scenario_weights={"no_vest": 3.0, "no_hard_hat": 1.0}))
    c = Counter(s.scenario_id for s in specs)
    assert set(c) == {"no_vest", "no_hard_hat"}
    assert 200 <= c["no_vest"] <= 250
    with pytest.raises(ValidationError, match="unknown scenario"):
        list(expand_specs(PPE, 1, scenario_weights={"nope": 1.0}))
    with pytest.raises(ValidationError, match="no scenario left"):
        list(expand_specs(PPE, 1, scenario_weights={"no_vest": 0.0}))


def test_stratified_follows_weights_and_covers_every_value():
    counts = count_specs(expand_specs(PPE, 2000, strategy="stratified"))
    total_w = sum(s.weight for s in PPE.scenarios)
    for s in PPE.scenarios:
        assert counts.by_scenario[s.id] == pytest.approx(2000 * s.weight / total_w, abs=2)
    small = count_specs(expand_specs(PPE, 60, strategy="stratified"))
    assert small.missing_values(PPE) == {}
    night = counts.share("lighting", "night")
    assert 0.15 < night < 0.3  # weight 0.5 of 2.1


def test_pairwise_stream_covers_all_pairs_of_scenario_and_axes():
    policy = axes_policy([3, 2, 4], n_scenarios=2)
    specs = list(expand_specs(policy, 200, strategy="pairwise"))
    names = [a.name for a in policy.axes]
    design_rows = {(s.scenario_id, *[s.variables[n] for n in names]) for s in specs}
    factors = [[sc.id for sc in policy.scenarios]] + [a.value_names() for a in policy.axes]
    for i, j in itertools.combinations(range(len(factors)), 2):
        for a in factors[i]:
            for b in factors[j]:
                assert any(r[i] == a and r[j] == b for r in design_rows)


def test_random_follows_weights():
    counts = count_specs(expand_specs(PPE, 4000, strategy="random", seed=3))
    assert counts.share("lighting", "day") == pytest.approx(1 / 2.1, abs=0.04)
    assert counts.share("occlusion", "heavy") == pytest.approx(0.3 / 1.9, abs=0.03)


def test_spec_fields():
    spec = next(expand_specs(PPE, 1, split="test", iteration=2, origin="why", seed=3))
    assert spec.split == "test" and spec.iteration == 2 and spec.origin == "why"
    assert spec.policy_version == 0 and spec.label is None
    assert set(spec.variables) == {a.name for a in PPE.axes}
    assert spec.prompt.startswith("a realistic photo") and spec.negative_prompt
    assert 0 <= spec.seed < 2**32
    saved = PPE.model_copy(update={"version": 7})
    assert next(expand_specs(saved, 1)).policy_version == 7


def test_classification_labels():
    policy = load_example_policy("floor_spill")
    specs = list(expand_specs(policy, 100))
    by = {s.scenario_id: s.label for s in specs}
    assert by["unmarked_spill"] == "spill_unmarked" and by["glossy_floor"] == "clean"


def test_policy_without_person_class_has_no_parents():
    policy = helmet_policy(classes=[ObjectClass(name="e_bike", appears="standalone")],
                         rules=[helmet_policy().rules[0].model_copy(update={"classes": ["e_bike"]})],
                         scenarios=[s.model_copy(update={"classes": [
                             c for c in s.classes if c.name == "e_bike"]})
                             for s in helmet_policy().scenarios])
    for spec in expand_specs(policy, 20):
        assert {b.cls for b in spec.layout} <= {"e_bike"}
        assert all(b.parent is None for b in spec.layout)


def test_everything_pinned_still_gives_distinct_specs():
    # one scenario, every axis pinned: distinct specs still come from seeds and layouts
    specs = list(expand_specs(PPE, 30, fixed={"scenario": "no_vest", **{
        a.name: a.values[0].value for a in PPE.axes}}))
    assert len(specs) == 30 and len({s.id for s in specs}) == 30


def test_counts():
    c = count_specs(expand_specs(PPE, 100, split="val"))
    assert c.total == 100 and c.by_split == {"val": 100}
    assert sum(c.by_scenario.values()) == 100
    assert sum(c.by_axis["lighting"].values()) == 100
    assert c.boxes_by_class["person"] >= 100
    assert c.to_dict()["total"] == 100
