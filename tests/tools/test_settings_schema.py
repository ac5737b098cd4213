"""One settings schema: every key of the loop, generator, generation and training sections is
declared once (tools/config.py), can be set from synthloop.toml and from the environment,
reaches the run's stored settings, and is read by the code that runs the loop."""

from __future__ import annotations

import enum
import re
import typing

import pytest
import tomli_w
from pydantic import BaseModel

from synthloop.agent.context import RunSettings
from synthloop.tools.config import (
    Config,
    GenerationConfig,
    GeneratorConfig,
    LoopConfig,
    Planner,
    TrainingConfig,
    load_config,
    with_overrides,
)
from synthloop.tools.errors import ConfigError
from tests.support.paths import ROOT

SECTIONS: dict[str, type[BaseModel]] = {"loop": LoopConfig, "generator": GeneratorConfig,
                                        "generation": GenerationConfig, "training": TrainingConfig}
# a few keys whose default cannot be nudged generically
SPECIAL = {("generator", "model"): "/models/sd", ("generator", "device"): "cpu",
           ("generation", "ray_address"): "ray://head:10001",
           ("training", "model"): "yolov8s.yaml", ("training", "optimizer"): "SGD",
           ("training", "device"): "cpu", ("training", "auto_augment"): "randaugment"}


def other_value(section: str, name: str, model: type[BaseModel]):
    """A valid value different from the field's default."""
    if (section, name) in SPECIAL:
        return SPECIAL[(section, name)]
    f = model.model_fields[name]
    default, ann = f.default, f.annotation
    if isinstance(default, enum.Enum):
        return next(m.value for m in type(default) if m != default)
    if typing.get_origin(ann) is typing.Literal:
        return next(v for v in typing.get_args(ann) if v != default)
    if isinstance(default, bool):
        return not default
    limits = {type(m).__name__: m for m in f.metadata}
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        hi = getattr(limits.get("Le"), "le", None)
        return default / 2 if hi is not None and default + 0.1 > hi else round(default + 0.1, 3)
    raise AssertionError(f"add {section}.{name} to SPECIAL")


CASES = [(sec, name) for sec, model in SECTIONS.items() for name in model.model_fields]


def _reached(settings: RunSettings, section: str, name: str):
    return getattr(settings if section == "loop" else getattr(settings, section), name)


def _plain(v):
    return v.value if isinstance(v, enum.Enum) else v


@pytest.mark.parametrize("section,name", CASES, ids=[f"{s}.{n}" for s, n in CASES])
def test_every_key_is_settable_from_toml_and_env_and_reaches_the_run(tmp_path, section, name):
    value = other_value(section, name, SECTIONS[section])
    (tmp_path / "synthloop.toml").write_text(tomli_w.dumps({section: {name: value}}))
    from_toml = RunSettings.from_config(load_config(tmp_path, env={}))
    assert _plain(_reached(from_toml, section, name)) == value
    env = {f"SYNTHLOOP_{section.upper()}__{name.upper()}": str(value).lower()
           if isinstance(value, bool) else str(value)}
    from_env = RunSettings.from_config(load_config(None, env=env))
    assert _plain(_reached(from_env, section, name)) == value
    # stored with the run and read back by a resumed run
    again = RunSettings.model_validate(from_env.model_dump(mode="json"))
    assert _plain(_reached(again, section, name)) == value


def _code(*folders: str) -> str:
    skip = {ROOT / "tools" / "config.py", ROOT / "agent" / "context.py"}
    return "\n".join(p.read_text() for f in folders for p in (ROOT / f).rglob("*.py")
                     if p not in skip)


@pytest.mark.parametrize("name", list(LoopConfig.model_fields))
def test_every_loop_key_is_read_by_the_loop(name):
    """A declared key nobody reads is a lie in `config show` (as min_per_class was)."""
    assert re.search(rf"\.{name}\b", _code("agent")), f"loop.{name} is read by nothing in agent/"


def test_run_settings_declares_only_per_run_fields():
    own = set(RunSettings.model_fields) - set(LoopConfig.model_fields)
    assert own == {"auto_approve", "policy_file", "example_policy", "eval_set", "oracle_slice",
                   "generator", "generation", "training", "verify"}
    with pytest.raises(TypeError, match="with_overrides"):
        RunSettings.from_config(Config(), iterations=3)


def test_the_environment_sets_what_it_could_not_before():
    cfg = load_config(None, env={"SYNTHLOOP_LOOP__VAL_IMAGES": "40",
                                 "SYNTHLOOP_LOOP__PLANNER": "allocator"})
    s = RunSettings.from_config(cfg)
    assert (s.val_images, s.planner) == (40, Planner.allocator)


def test_unknown_or_invalid_keys_are_one_clear_line(tmp_path):
    (tmp_path / "synthloop.toml").write_text("[loop]\nvall_images = 40\n")
    with pytest.raises(ConfigError, match=r"loop\.vall_images: no such setting"):
        load_config(tmp_path, env={})
    with pytest.raises(ConfigError, match="SYNTHLOOP_LOOP__PLANNER"):
        load_config(None, env={"SYNTHLOOP_LOOP__PLANNER": "greedy"})
    with pytest.raises(ConfigError, match=r"loop\.nope: no such setting \(from the demo preset\)"):
        with_overrides(Config(), {"loop": {"nope": 1}}, "the demo preset")
    with pytest.raises(ConfigError, match=r"^--budget 0: should be greater"):
        with_overrides(Config(), {"loop": {"total_images": 0}}, "the command line",
                       labels={"loop.total_images": "--budget"})


def test_the_oracle_planner_needs_its_slice_before_the_run_starts():
    cfg = load_config(None, env={"SYNTHLOOP_LOOP__PLANNER": "oracle"})
    with pytest.raises(ConfigError, match="oracle planner .* needs oracle_slice"):
        RunSettings.from_config(cfg)
    assert RunSettings.from_config(cfg, oracle_slice="lighting=night").planner == Planner.oracle


def test_presets_are_overrides_over_the_workspace_config(tmp_path):
    from synthloop.agent.demo import DEMO_PRESET, demo_settings

    (tmp_path / "synthloop.toml").write_text("[loop]\nexplore_fraction = 0.3\n"
                                             "[training]\nlr0 = 0.01\n")
    s = demo_settings(load_config(tmp_path, env={}), iterations=1)
    assert s.iterations == 1 and s.initial_images == DEMO_PRESET["loop"]["initial_images"]
    assert s.explore_fraction == 0.3 and s.training.lr0 == 0.01   # not in the preset: kept
    assert s.training.imgsz == DEMO_PRESET["training"]["imgsz"] and s.auto_approve


def test_a_none_override_leaves_the_value():
    cfg = with_overrides(Config(), {"loop": {"iterations": None, "seed": 4}}, "test")
    assert cfg.loop.iterations == LoopConfig().iterations and cfg.loop.seed == 4


def test_verify_section_reaches_the_run_and_the_disagreement_verifier():
    from synthloop.tools.quality.disagreement import DisagreementConfig

    cfg = load_config(None, env={"SYNTHLOOP_VERIFY__LOOP": "false",
                                 "SYNTHLOOP_VERIFY__MATCH_CONF": "0.4"})
    s = RunSettings.from_config(cfg)
    assert s.verify.loop is False and s.verify.match_conf == 0.4
    assert DisagreementConfig is type(cfg.verify)  # one declaration of the verifier's keys
