"""Policy YAML: export a version, import a file (validated, linted, stored as a new version
whose parent is the version it came from), load the built-in examples.

The YAML is the Policy model with two shorthands people like to write and read: a
scenario's classes as a mapping (`{person: 1, hard_hat: 1}`) and an axis value as a bare
string when its weight is 1 (`[day, {value: night, weight: 0.5}]`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from ..errors import NotFound, ValidationError
from ..models import Policy
from ..store.files import atomic_write_text
from ..strict_yaml import safe_load
from .lint import LintFinding, has_errors, lint_policy

MAX_YAML_BYTES = 1_000_000
_FIX_HINT = "fix the file and import it again; the stored policy versions are unchanged"


def policy_to_yaml(policy: Policy) -> str:
    """`policy` as YAML text, shorthands applied, keys in the model's order."""
    data = policy.model_dump(mode="json")
    for s in data["scenarios"]:
        s["classes"] = {c["name"]: c["count"] for c in s["classes"]}
        if s.get("label") is None:
            s.pop("label", None)
    for a in data["axes"]:
        a["values"] = [v["value"] if v["weight"] == 1.0 else v for v in a["values"]]
    for key in ("version", "parent_version"):
        if data.get(key) is None:
            data.pop(key, None)
    head = (f"# synthloop policy{f' v{policy.version}' if policy.version else ''}: "
            f"{policy.title}\n# Edit, then: synthloop policy import <this file>\n")
    return head + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Safe YAML, with short lists of plain values on one line: `classes: [person, hat]`."""


def _represent_list(dumper: yaml.SafeDumper, data: list):
    flow = bool(data) and all(isinstance(v, str | int | float) for v in data) and \
        sum(len(str(v)) for v in data) < 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict):
    # axis values {value, weight} and scenario class counts {person: 1} read best inline
    flow = bool(data) and (set(data) == {"value", "weight"}
                           or all(type(v) is int for v in data.values()))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def policy_from_yaml(text: str, *, source: str = "<text>") -> Policy:
    """Parse and validate policy YAML; a ValidationError names the file, the field path
    (e.g. classes[1].name) and what was wrong with it."""
    if len(text.encode()) > MAX_YAML_BYTES:
        raise ValidationError(f"{source}: {len(text.encode())} bytes is too large for a policy",
                              f"policies are well under {MAX_YAML_BYTES // 1000} kB")
    try:
        data = safe_load(text)  # a duplicate key is an error, not last-wins
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValidationError(f"{source}: not valid YAML{at}: {problem}", _FIX_HINT) from e
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a policy file must hold a mapping with title, "
                              f"classes, rules...; found {type(data).__name__}", _FIX_HINT)
    data = _expand_shorthands(data)
    try:
        return Policy.model_validate(data)
    except PydanticValidationError as e:
        raise ValidationError(f"{source}: {_first_error(e, data)}", _FIX_HINT) from e


def _expand_shorthands(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    scenarios = data.get("scenarios")
    if isinstance(scenarios, list):
        out = []
        for s in scenarios:
            if isinstance(s, dict) and isinstance(s.get("classes"), dict):
                s = {**s, "classes": [{"name": k, "count": v} for k, v in s["classes"].items()]}
            elif isinstance(s, dict) and s.get("classes") is None and "classes" in s:
                s = {**s, "classes": []}
            out.append(s)
        data["scenarios"] = out
    axes = data.get("axes")
    if isinstance(axes, list):
        data["axes"] = [{**a, "values": [{"value": v} if isinstance(v, str) else v
                                         for v in a["values"]]}
                        if isinstance(a, dict) and isinstance(a.get("values"), list) else a
                        for a in axes]
    return data


def _first_error(e: PydanticValidationError, data: dict[str, Any]) -> str:
    err = e.errors()[0]
    loc = _loc(err["loc"], data)
    more = f" (and {e.error_count() - 1} more problem(s))" if e.error_count() > 1 else ""
    if err["type"] == "extra_forbidden":
        parent, key = loc.rpartition(".")[0], err["loc"][-1]
        return f"unknown key '{key}'{' in ' + parent if parent else ''}{more}"
    if err["type"] == "missing":
        return f"missing required field {loc}{more}"
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) and len(repr(value)) < 80 \
        and repr(value) not in msg else ""
    return f"{loc or 'policy'}: {msg}{shown}{more}"


def _loc(loc: tuple, data: Any) -> str:
    # 'classes.1.name' -> 'classes[1].name' (or classes[hard_hat].name when it has a name)
    out, node = "", data
    for part in loc:
        if isinstance(part, int):
            label = part
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                name = node[part].get("name") or node[part].get("id")
                label = f"{part}: {name}" if isinstance(name, str) else part
            out += f"[{label}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def load_policy_yaml(path: str | Path) -> Policy:
    """Read and validate a policy YAML file (no lint, nothing stored)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise NotFound(f"policy file {p} does not exist", "check the path")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValidationError(f"cannot read {p}: {e}", "a policy file is UTF-8 YAML") from e
    return policy_from_yaml(text, source=p.name)


def save_policy_yaml(policy: Policy, path: str | Path) -> Path:
    """Write `policy` as YAML to `path` atomically; returns the path."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise ValidationError(f"{p} is a folder", "give a file name such as policy.yaml")
    atomic_write_text(p, policy_to_yaml(policy))
    return p


def import_policy(ws, path: str | Path) -> tuple[Policy, list[LintFinding]]:
    """Validate and lint a policy file, then store it as a new version whose parent is the
    version the file was exported from (or the latest, for a file written from scratch).
    A validation or lint error raises ValidationError and stores nothing."""
    policy = load_policy_yaml(path)
    findings = lint_policy(policy)
    if has_errors(findings):
        first = next(f for f in findings if f.level == "error")
        n = sum(f.level == "error" for f in findings)
        raise ValidationError(
            f"{Path(path).name}: {first.where}: {first.message}"
            + (f" (and {n - 1} more lint error(s))" if n > 1 else ""), _FIX_HINT)
    parent = policy.version
    if parent is None:
        latest = ws.list_policies()
        parent = latest[-1][0] if latest else None
    elif not any(v == parent for v, *_ in ws.list_policies()):
        parent = None  # exported from another workspace: no parent here
    stored = ws.save_policy(policy.model_copy(update={"version": None, "parent_version": None}),
                            parent_version=parent)
    return stored, findings


def export_policy(ws, path: str | Path, version: int | None = None) -> tuple[Policy, Path]:
    """Write a stored version (default: the latest) to `path` as YAML."""
    policy = ws.get_policy(version)
    return policy, save_policy_yaml(policy, path)


def example_names() -> list[str]:
    """Names of the built-in example policies ('ppe', 'scooter_helmet', ...)."""
    folder = resources.files("synthloop.tools.design") / "examples"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_example_policy(name: str) -> Policy:
    """A built-in example policy by name, e.g. load_example_policy('ppe')."""
    names = example_names()
    if name not in names:
        raise NotFound(f"no example policy {name!r}", f"choose one of: {', '.join(names)}")
    text = (resources.files("synthloop.tools.design") / "examples" / f"{name}.yaml").read_text("utf-8")
    return policy_from_yaml(text, source=f"{name}.yaml")
