"""Counting a spec stream: how many specs per scenario, per axis value, per split, per
label. Works on a generator without holding the specs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import GenerationSpec, Policy


@dataclass
class SpecCounts:
    """Counts over a stream of specs; `by_axis[axis][value]`."""

    total: int = 0
    by_scenario: Counter = field(default_factory=Counter)
    by_axis: dict[str, Counter] = field(default_factory=dict)
    by_split: Counter = field(default_factory=Counter)
    by_label: Counter = field(default_factory=Counter)
    boxes_by_class: Counter = field(default_factory=Counter)

    def share(self, axis: str, value: str) -> float:
        """The fraction of specs with `axis` = `value` (0 when there are none)."""
        return self.by_axis.get(axis, Counter())[value] / self.total if self.total else 0.0

    def missing_values(self, policy: Policy) -> dict[str, list[str]]:
        """Declared axis values that no spec used, by axis (empty when all are covered)."""
        out = {a.name: [v for v in a.value_names() if not self.by_axis.get(a.name, {}).get(v)]
               for a in policy.axes}
        return {k: v for k, v in out.items() if v}

    def to_dict(self) -> dict:
        """Plain JSON-ready counts."""
        return {"total": self.total, "by_scenario": dict(self.by_scenario),
                "by_axis": {k: dict(v) for k, v in self.by_axis.items()},
                "by_split": dict(self.by_split), "by_label": dict(self.by_label),
                "boxes_by_class": dict(self.boxes_by_class)}


def count_specs(specs: Iterable[GenerationSpec]) -> SpecCounts:
    """Count `specs` (any iterable, consumed once) per scenario, axis value, split, label
    and layout class.

    >>> from synthloop.tools.design import expand_specs, load_example_policy
    >>> count_specs(expand_specs(load_example_policy("ppe"), 40)).total
    40
    """
    c = SpecCounts()
    for s in specs:
        c.total += 1
        c.by_scenario[s.scenario_id] += 1
        c.by_split[s.split] += 1
        if s.label is not None:
            c.by_label[s.label] += 1
        for k, v in s.variables.items():
            axis = c.by_axis.get(k)
            if axis is None:
                axis = c.by_axis[k] = Counter()
            axis[v] += 1
        for b in s.layout:
            c.boxes_by_class[b.cls] += 1
    return c
