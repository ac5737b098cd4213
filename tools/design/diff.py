"""What changed between two policy versions: classes, rules, scenarios and axes added,
removed or changed (and how), plus the top-level fields."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..models import Policy

Change = Literal["added", "removed", "changed"]
_SECTIONS = (("classes", "name"), ("rules", "id"), ("scenarios", "id"), ("axes", "name"))
_FIELDS = ("title", "goal", "context", "task", "hard_cases")


class DiffEntry(BaseModel):
    """One difference; `detail` lists the changed fields as 'field: old -> new'."""

    model_config = ConfigDict(frozen=True)

    change: Change
    section: str
    key: str
    detail: list[str] = []

    def one_line(self) -> str:
        """'~ rules R1: severity: medium -> high' for terminals and reviews."""
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        tail = f": {'; '.join(self.detail)}" if self.detail else ""
        return f"{sign} {self.section} {self.key}{tail}"


class PolicyDiff(BaseModel):
    """The differences from `old_version` to `new_version` (empty when they mean the same)."""

    old_version: int | None
    new_version: int | None
    entries: list[DiffEntry] = []

    @property
    def empty(self) -> bool:
        """True when nothing differs."""
        return not self.entries

    def summary(self) -> str:
        """'3 added, 1 removed, 2 changed' or 'no differences'."""
        if self.empty:
            return "no differences"
        n = {c: sum(e.change == c for e in self.entries) for c in ("added", "removed", "changed")}
        return ", ".join(f"{v} {k}" for k, v in n.items() if v)


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    """Compare two policies section by section, matching items by name or id.

    >>> from synthloop.tools.design import load_example_policy
    >>> p = load_example_policy("ppe")
    >>> q = p.model_copy(update={"title": "PPE v2"})
    >>> [e.one_line() for e in diff_policies(p, q).entries]
    ["~ fields title: 'Hard hat and hi-vis vest on site' -> 'PPE v2'"]
    """
    entries: list[DiffEntry] = []
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    changed = [f"{f}: {_short(a[f])} -> {_short(b[f])}" for f in _FIELDS if a[f] != b[f]]
    for item in changed:
        entries.append(DiffEntry(change="changed", section="fields", key=item.split(":")[0],
                                 detail=[item.split(": ", 1)[1]]))
    for section, key in _SECTIONS:
        olds = {x[key]: x for x in a[section]}
        news = {x[key]: x for x in b[section]}
        for k in olds.keys() - news.keys():
            entries.append(DiffEntry(change="removed", section=section, key=k))
        for k in news.keys() - olds.keys():
            entries.append(DiffEntry(change="added", section=section, key=k,
                                     detail=[_short(_brief(news[k]))]))
        for k in olds.keys() & news.keys():
            if olds[k] != news[k]:
                detail = [f"{f}: {_short(olds[k].get(f))} -> {_short(news[k].get(f))}"
                          for f in news[k] if olds[k].get(f) != news[k].get(f)]
                entries.append(DiffEntry(change="changed", section=section, key=k, detail=detail))
    order = {s: i for i, s in enumerate(["fields"] + [s for s, _ in _SECTIONS])}
    entries.sort(key=lambda e: (order[e.section], e.change, e.key))
    return PolicyDiff(old_version=old.version, new_version=new.version, entries=entries)


def _brief(item: dict) -> str:
    for f in ("text", "description"):
        if item.get(f):
            return item[f]
    if "values" in item:
        return ", ".join(v["value"] for v in item["values"])
    return ""


def _short(value, limit: int = 80) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if "value" in value[0]:
            value = [v["value"] if v.get("weight", 1.0) == 1.0 else f"{v['value']}({v['weight']:g})"
                     for v in value]
        elif "count" in value[0]:
            value = {c["name"]: c["count"] for c in value}
    text = repr(value) if not isinstance(value, list | dict) else str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
