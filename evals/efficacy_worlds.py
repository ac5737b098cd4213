"""Benchmark worlds: a policy plus what the loop-efficacy benchmark needs to know about it.

A world file (`evals/worlds/<name>.yaml`, shipped as package data of synthloop.evals) holds

    name: ppe_rare                      # snake_case; the built-in name is the file's stem
    description: ...                    # one paragraph for the report
    control_slice: distance=extreme_far # optional: the declared pixel-limited control
    oracle_slice: lighting=night        # optional: the oracle arm's slice
    policy: {...}                       # a policy, in exactly the policy YAML schema
    benchmark: {initial_images: 300, imgsz: 96, ...}   # EfficacyConfig overrides

The control slice is excluded from the benchmark's headline slices (the tracked slices
and the worst slice) and measured on its own holdout; the analysis must flag it as
data-insensitive. A plain policy file (`--policy FILE`) or a built-in example policy
(`--example NAME`) is a world without a control, oracle slice or overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from synthloop.tools.design import load_example_policy, load_policy_yaml, policy_from_yaml
from synthloop.tools.errors import NotFound, ValidationError
from synthloop.tools.models import Policy
from synthloop.tools.strict_yaml import safe_load

BUILTIN_WORLDS = ("ppe_rare", "helmet_cls")
WORLD_KEYS = ("name", "description", "control_slice", "oracle_slice", "policy", "benchmark")
# EfficacyConfig fields a world may set, with the types their values must have.
BENCHMARK_FIELDS: dict[str, tuple[type, ...]] = {
    "initial_images": (int,), "iterations": (int,), "images_per_iteration": (int,),
    "val_images": (int,), "holdout_images": (int,), "balanced_holdout": (int,),
    "control_holdout": (int,), "image_size": (int,), "imgsz": (int,), "base_epochs": (int,),
    "epochs": (int,), "batch": (int,), "nominal_batch": (int,), "lr0": (int, float),
    "warmup_epochs": (int, float), "base_lr0": (int, float), "base_warmup_epochs": (int, float),
    "from_scratch": (bool,),
}
_HINT = "see evals/README.md, 'World files'"


@dataclass(frozen=True)
class World:
    """A benchmark world, validated: its control and oracle slices exist in its policy."""

    name: str
    policy: Policy
    description: str = ""
    control_slice: str | None = None
    oracle_slice: str | None = None
    benchmark: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    """Where it came from: 'world file ppe_rare.yaml', 'policy file x.yaml', 'example ppe'."""
    policy_file: str | None = None
    """For a plain policy file: its path (the loop reads it as is)."""
    example: str | None = None
    """For a built-in example policy: its name."""

    @property
    def task(self) -> str:
        return self.policy.task

    @property
    def control(self) -> tuple[str, str] | None:
        """The control slice as (axis, value), or None."""
        if not self.control_slice:
            return None
        axis, _, value = self.control_slice.partition("=")
        return axis, value


def world_names() -> list[str]:
    """Names of the world files shipped with synthloop.evals."""
    folder = resources.files("synthloop.evals") / "worlds"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_world(ref: str) -> World:
    """A built-in world by name (`ppe_rare`), or a world file by path."""
    if ref in world_names():
        text = (resources.files("synthloop.evals") / "worlds" / f"{ref}.yaml").read_text("utf-8")
        return world_from_yaml(text, source=f"{ref}.yaml")
    p = Path(ref).expanduser()
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise NotFound(f"world file {p} does not exist", "check the path, or name a built-in "
                           f"world: {', '.join(world_names())}")
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ValidationError(f"cannot read world file {p}: {e}", "a world file is UTF-8 YAML") from e
        return world_from_yaml(text, source=p.name)
    raise NotFound(f"no world {ref!r}", f"name a built-in world ({', '.join(world_names())}) "
                   "or give a world file path")


def world_from_yaml(text: str, *, source: str = "<world>") -> World:
    """Parse and validate a world file's text; every problem is a ValidationError that
    names the file and the key."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ValidationError(f"{source}: not valid YAML{at}: "
                              f"{getattr(e, 'problem', None) or str(e).splitlines()[0]}", _HINT) from e
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a world file holds a mapping (name, policy, ...), "
                              f"found {type(data).__name__}", _HINT)
    unknown = sorted(set(data) - set(WORLD_KEYS))
    if unknown:
        raise ValidationError(f"{source}: unknown key(s) {', '.join(map(str, unknown))}",
                              f"a world file has: {', '.join(WORLD_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.replace("_", "").isalnum() or name != name.lower():
        raise ValidationError(f"{source}: name must be a snake_case string, got {name!r}", _HINT)
    pol = data.get("policy")
    if not isinstance(pol, dict):
        raise ValidationError(f"{source}: 'policy' must be a mapping in the policy YAML schema",
                              "e.g. export one with: synthloop policy export FILE")
    policy = policy_from_yaml(yaml.safe_dump(pol, sort_keys=False, allow_unicode=True),
                              source=f"{source}: policy")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise ValidationError(f"{source}: description must be text", _HINT)
    bench = data.get("benchmark") or {}
    if not isinstance(bench, dict):
        raise ValidationError(f"{source}: 'benchmark' must be a mapping of EfficacyConfig "
                              "fields", f"allowed: {', '.join(BENCHMARK_FIELDS)}")
    for key, value in bench.items():
        types = BENCHMARK_FIELDS.get(key)
        if types is None:
            raise ValidationError(f"{source}: benchmark.{key} is not a setting a world may change",
                                  f"allowed: {', '.join(BENCHMARK_FIELDS)}")
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            raise ValidationError(f"{source}: benchmark.{key} must be "
                                  f"{' or '.join(t.__name__ for t in types)}, got {value!r}", _HINT)
        if not isinstance(value, bool) and value < 0:
            raise ValidationError(f"{source}: benchmark.{key} must be >= 0, got {value!r}", _HINT)
    control = check_slice(policy, data.get("control_slice"), "control_slice", source, control=True)
    oracle = check_slice(policy, data.get("oracle_slice"), "oracle_slice", source)
    if control and oracle and control == oracle:
        raise ValidationError(f"{source}: oracle_slice is the control slice {control}",
                              "the oracle targets a data-fixable slice; the control is not one")
    return World(name=name, policy=policy, description=" ".join(description.split()),
                 control_slice=control, oracle_slice=oracle, benchmark=dict(bench),
                 source=f"world file {source}")


def check_slice(policy: Policy, key: Any, what: str, source: str, *,
                control: bool = False) -> str | None:
    """`key` ('axis=value') if the policy has that axis and value, else a ValidationError
    naming the problem; None stays None."""
    if key is None:
        return None
    if not isinstance(key, str) or key.count("=") != 1 or not all(key.partition("=")[::2]):
        raise ValidationError(f"{source}: {what} {key!r} is not 'axis=value'",
                              "e.g. distance=extreme_far")
    axis_name, _, value = (part.strip() for part in key.partition("="))
    axis = policy.get_axis(axis_name)
    if axis is None:
        raise ValidationError(f"{source}: {what} {key!r}: the policy has no axis {axis_name!r}",
                              f"axes: {', '.join(a.name for a in policy.axes) or '(none)'}")
    if value not in axis.value_names():
        raise ValidationError(f"{source}: {what} {key!r}: {value!r} is not a value of axis "
                              f"{axis_name}", f"values: {', '.join(axis.value_names())}")
    if control and len(axis.values) < 2:
        raise ValidationError(f"{source}: {what} {key!r}: axis {axis_name} has no other value",
                              "the balanced holdout is drawn over the axis' other values")
    return f"{axis_name}={value}"


def world_from_policy_file(path: str | Path) -> World:
    """Any policy file as a world: no control slice, no oracle slice, no overrides."""
    p = Path(path).expanduser().resolve()
    policy = load_policy_yaml(p)
    return World(name=_snake(p.stem), policy=policy, source=f"policy file {p.name}",
                 policy_file=str(p))


def world_from_example(name: str) -> World:
    """A built-in world of that name, else a built-in example policy as a world."""
    if name in world_names():
        return load_world(name)
    return World(name=_snake(name), policy=load_example_policy(name), source=f"example {name}",
                 example=name)


def _snake(text: str) -> str:
    out = "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")
    return out or "policy"
