"""Benchmark worlds: the built-in world files parse and are sound, bad world files are one
clear ValidationError, the settings resolve in order (generic < world < quick < command
line), and the benchmark's holdout keeps the control value out of the pairwise supplement."""

from __future__ import annotations

from collections import Counter
from importlib import resources

import pytest
import yaml

from synthloop.evals.efficacy_worlds import (
    BUILTIN_WORLDS,
    load_world,
    world_from_example,
    world_from_policy_file,
    world_from_yaml,
    world_names,
)
from synthloop.evals.loop_efficacy import (
    BALANCED_HOLDOUT,
    CONTROL_HOLDOUT,
    QUICK_SIZES,
    EfficacyConfig,
    holdout_specs,
    preset,
    resolve,
)
from synthloop.tools.design import has_errors, lint_policy, load_example_policy, save_policy_yaml
from synthloop.tools.errors import NotFound, ValidationError


def test_builtin_worlds_are_shipped_and_sound():
    assert set(BUILTIN_WORLDS) <= set(world_names())
    ppe, helmet = load_world("ppe_rare"), load_world("helmet_cls")
    assert ppe.task == "detection" and helmet.task == "classification"
    for w in (ppe, helmet):
        assert w.control == ("distance", "extreme_far")
        assert w.oracle_slice and w.oracle_slice != w.control_slice
        assert not has_errors(lint_policy(w.policy))
        assert w.description and w.benchmark["initial_images"] >= 300
    assert "hi_vis_vest_colour" in [a.name for a in ppe.policy.axes]
    assert {s.label for s in helmet.policy.scenarios} == {"helmet", "no_helmet"}


def _world_text(**changes):
    path = resources.files("synthloop.evals") / "worlds" / "ppe_rare.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(changes)
    return yaml.safe_dump({k: v for k, v in data.items() if v is not None}, sort_keys=False)


@pytest.mark.parametrize(("control", "message"), [
    ("distance=extremefar", "'extremefar' is not a value of axis distance"),
    ("range=extreme_far", "the policy has no axis 'range'"),
    ("extreme_far", "is not 'axis=value'"),
    ("distance=", "is not 'axis=value'"),
    (3, "is not 'axis=value'"),
])
def test_a_bad_control_slice_is_a_clear_validation_error(control, message):
    with pytest.raises(ValidationError, match=message) as e:
        world_from_yaml(_world_text(control_slice=control), source="bad.yaml")
    assert "bad.yaml: control_slice" in str(e.value)


@pytest.mark.parametrize(("changes", "message"), [
    ({"colour": "x"}, "unknown key"),
    ({"name": "Not Snake"}, "snake_case"),
    ({"policy": "ppe"}, "'policy' must be a mapping"),
    ({"benchmark": {"epochz": 3}}, "benchmark.epochz is not a setting"),
    ({"benchmark": {"epochs": "3"}}, "benchmark.epochs must be int"),
    ({"benchmark": {"epochs": True}}, "benchmark.epochs must be int"),
    ({"benchmark": {"lr0": -1.0}}, "must be >= 0"),
    ({"oracle_slice": "distance=extreme_far"}, "oracle_slice is the control slice"),
    ({"oracle_slice": "lighting=dusk"}, "'dusk' is not a value of axis lighting"),
])
def test_other_world_file_mistakes(changes, message):
    with pytest.raises(ValidationError, match=message):
        world_from_yaml(_world_text(**changes), source="bad.yaml")


def test_the_inline_policy_is_validated_like_a_policy_file():
    text = _world_text()
    data = yaml.safe_load(text)
    data["policy"]["classes"][0]["colour"] = "red"
    with pytest.raises(ValidationError, match=r"bad.yaml: policy: unknown key 'colour'"):
        world_from_yaml(yaml.safe_dump(data), source="bad.yaml")
    with pytest.raises(ValidationError, match="not valid YAML"):
        world_from_yaml("name: [x", source="bad.yaml")


def test_world_files_by_path_and_plain_policies(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(_world_text(name="mine"), encoding="utf-8")
    assert load_world(str(f)).name == "mine"
    with pytest.raises(NotFound):
        load_world(str(tmp_path / "absent.yaml"))
    with pytest.raises(NotFound, match="no world 'nope'"):
        load_world("nope")
    p = save_policy_yaml(load_example_policy("ppe_world"), tmp_path / "My Policy.yaml")
    w = world_from_policy_file(p)
    assert w.name == "my_policy" and w.control is None and w.policy_file == str(p.resolve())
    assert world_from_example("ppe_world").example == "ppe_world"
    assert world_from_example("helmet_cls").control_slice == "distance=extreme_far"


def test_settings_resolve_generic_then_world_then_quick_then_command_line(tmp_path):
    (world, cfg), = resolve(preset(worlds=["ppe_rare"]))
    assert (cfg.initial_images, cfg.base_epochs, cfg.lr0) == (300, 12, 0.001)
    assert cfg.control_slice == "distance=extreme_far" and cfg.oracle_slice == "lighting=night"
    assert cfg.seeds == (0, 1, 2, 3, 4)
    assert cfg.arms == ("uniform", "targeted-allocator", "targeted-llm")
    (_, quick), = resolve(preset(True, worlds=["ppe_rare"], epochs=2, seeds=2))
    assert quick.initial_images == QUICK_SIZES["initial_images"] and quick.epochs == 2
    assert quick.imgsz == 96 and quick.seeds == (0, 1)
    names = [w.name for w, _ in resolve(preset())]
    assert names == ["ppe_rare", "helmet_cls"]
    p = save_policy_yaml(load_example_policy("ppe_world"), tmp_path / "p.yaml")
    (w, c), = resolve(preset(policy=str(p), oracle_slice="lighting=night"))
    assert w.name == "p" and c.control_slice is None and c.initial_images == EfficacyConfig().initial_images
    assert c.oracle_slice == "lighting=night"
    assert [w.name for w, _ in resolve(preset(policy=str(p), worlds=["helmet_cls"]))] == ["helmet_cls", "p"]
    with pytest.raises(TypeError, match="unknown benchmark setting"):
        preset(epochz=3)
    with pytest.raises(ValidationError, match="uniform arm"):
        resolve(preset(worlds=["ppe_rare"], arms=["targeted-allocator"]))
    with pytest.raises(ValidationError, match="oracle slice"):
        resolve(preset(worlds=["ppe_rare"], oracle_slice="lighting=sunset"))
    with pytest.raises(ValidationError, match="given twice"):
        resolve(preset(worlds=["ppe_rare", "ppe_rare"]))


def test_the_pairwise_holdout_leaves_the_control_out_and_the_control_holdout_fixes_it():
    w = load_world("ppe_rare")
    cfg = EfficacyConfig(control_slice=w.control_slice, balanced_holdout=140, control_holdout=40)
    specs = holdout_specs(w.policy, cfg, seed=0)
    balanced = [s for s in specs if s.origin == BALANCED_HOLDOUT]
    control = [s for s in specs if s.origin == CONTROL_HOLDOUT]
    assert len(balanced) == 140 and len(control) == 40
    assert all(s.split == "test" for s in specs)
    assert Counter(s.variables["distance"] for s in balanced).keys() == {"close_up", "near"}
    assert {s.variables["distance"] for s in control} == {"extreme_far"}
    # every other axis value is measured on both parts (pairwise, weights ignored)
    nights = Counter(s.variables["lighting"] for s in balanced)
    assert min(nights.values()) >= 140 // 3 - 5
    assert {s.variables["lighting"] for s in control} == {"day", "overcast", "night"}
    # without a control: one pairwise supplement over every value, no control holdout
    plain = holdout_specs(w.policy, EfficacyConfig(balanced_holdout=60), seed=0)
    assert len(plain) == 60 and "extreme_far" in {s.variables["distance"] for s in plain}
