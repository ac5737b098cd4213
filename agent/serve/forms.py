"""The policy edit form: a policy's fields as named inputs, and the POSTed form back to
the policy's data, which then goes through exactly the validation `synthloop policy import`
applies (the data is written as the YAML file import reads).

Input names are `f:` plus the field's path, list positions as numbers
(`f:axes.0.values.1.value`). A suffix says how a text is read: `~lines` one item per line
(a rule's classes, hard cases), `~counts` "name: count" lines (a scenario's classes),
`~bool` a checkbox (a hidden "false" comes first; the last value wins). An item whose
inputs are all blank is dropped, and so is an axis value whose value is cleared: that is
how a value is removed; each axis has one blank row for adding a value.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from starlette.datastructures import FormData

from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Policy

PREFIX = "f:"
_NULLABLE = {"rule_id", "label"}


def blank_axis_rows(policy: Policy) -> dict[str, int]:
    """The index of the blank 'add a value' row of each axis."""
    return {a.name: len(a.values) for a in policy.axes}


def form_to_data(form: FormData, original: Policy) -> dict[str, Any]:
    """The policy data the form describes: the original's dump with every section the
    form holds replaced by what was typed (version kept, so the new version's parent is
    the one edited)."""
    tree: dict[str, Any] = {}
    for key in dict.fromkeys(k for k in form.keys() if k.startswith(PREFIX)):
        path, _, kind = key[len(PREFIX):].partition("~")
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        _put(tree, path.split("."), _read(values, kind))
    data = original.model_dump(mode="json")
    for k, v in _listify(tree).items():
        if k in data:
            data[k] = v
    data["version"] = original.version
    data.pop("parent_version", None)
    return data


def _read(values: list[str], kind: str) -> Any:
    text = values[-1] if values else ""
    if kind == "bool":
        return text == "true"
    if kind == "lines":
        return [ln.strip() for ln in text.splitlines() if ln.strip()]
    if kind == "counts":
        out: dict[str, Any] = {}
        for ln in text.splitlines():
            if not ln.strip():
                continue
            name, _, count = ln.partition(":")
            out[name.strip()] = int(count) if count.strip().isdigit() else count.strip() or 1
        return out
    return text.strip()


def _put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    node = tree
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ValidationError(f"the edit form has a clashing field {'.'.join(parts)!r}",
                                  "reload the edit page")
    node[parts[-1]] = value


def _listify(node: Any) -> Any:
    """Dicts keyed by positions become lists in position order; all-blank items go."""
    if not isinstance(node, dict):
        return node
    if node and all(re.fullmatch(r"\d+", k) for k in node):
        items = [_listify(node[k]) for k in sorted(node, key=int)]
        return [i for i in items if not _blank(i)]
    out = {k: _listify(v) for k, v in node.items()}
    for k in _NULLABLE & out.keys():
        if out[k] == "":
            out[k] = None
    return {k: v for k, v in out.items() if not (k == "weight" and v == "")}


def _blank(item: Any) -> bool:
    if isinstance(item, dict):
        if "value" in item:  # an axis value: clearing the value removes it, weight or not
            return _blank(item["value"])
        return all(_blank(v) or isinstance(v, bool) for v in item.values())
    return item in ("", None, [], {})


def import_data(ws, data: dict[str, Any]):
    """Store `data` as a new policy version through `import_policy`, the code behind
    `synthloop policy import` (validation, lint, the parent version); returns (stored
    policy, findings). The YAML goes to a temporary file of our own naming, never to a path
    from the request."""
    from synthloop.tools.design import import_policy

    with tempfile.TemporaryDirectory(prefix="synthloop-edit-") as tmp:
        path = Path(tmp) / "edit-form.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        return import_policy(ws, path)


def validated(data: dict[str, Any]) -> Policy:
    """`data` checked as `policy import` checks a file (schema, then lint errors), without
    storing it: what a paused run is resumed with after an edit."""
    from synthloop.tools.design import has_errors, lint_policy, policy_from_yaml

    policy = policy_from_yaml(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                              source="edit-form.yaml")
    findings = lint_policy(policy)
    if has_errors(findings):
        first = next(f for f in findings if f.level == "error")
        raise ValidationError(f"edit-form.yaml: {first.where}: {first.message}",
                              "fix the form and save again; the stored versions are unchanged")
    return policy


def yaml_to_data(text: str, original: Policy) -> dict[str, Any]:
    """The YAML typed in the edit page's YAML box, parsed as import parses a file."""
    from synthloop.tools.design import policy_from_yaml

    policy = policy_from_yaml(text, source="the YAML box")
    data = policy.model_dump(mode="json")
    data["version"] = original.version
    data.pop("parent_version", None)
    return data


def review_answer(action: str, comment: str = "", policy: Policy | None = None) -> dict:
    """The resume value `synthloop resume --approve/--reject/--edit` sends (see
    agent/nodes/review.py), from a review form."""
    if action == "approve":
        return {"action": "approve"}
    if action == "reject":
        if not comment.strip():
            raise ValidationError("a rejection needs a comment saying what should change",
                                  "e.g. 'add a class for safety glasses'")
        return {"action": "reject", "comment": comment.strip()}
    if action == "edit" and policy is not None:
        return {"action": "edit", "policy": policy.model_dump(mode="json")}
    raise ValidationError(f"unknown review action {action!r}", "approve, reject or edit")


def comments_digest(comments, policy: Policy) -> str:
    """The reviewers' comments on a version as the opening text of a rejection."""
    lines = []
    for c in comments:
        where = {"rule": f"rule {c.target_id}", "scenario": f"scenario {c.target_id}",
                 "policy": "policy"}[c.target]
        lines.append(f"{where}: {c.text}")
    return "\n".join(lines)
