"""Found / support per slice key, tallied from a report's per-image results, and training
images per slice key, counted from specs. Keys are the ones the whole loop uses:

    class=hard_hat                   every object of a class
    lighting=night                   every object in images with that value (all classes)
    lighting=night × hard_hat        one class within a value
    lighting=night & weather=fog     two values together (all classes), `× cls` for one class
    scenario=no_vest                 a scenario, like an axis value
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from ..models import MisclassificationReport, Policy

SCENARIO = "scenario"


def value_key(axis: str, value: str) -> str:
    return f"{axis}={value}"


def class_key(cls: str) -> str:
    return f"class={cls}"


def with_class(key: str, cls: str | None) -> str:
    return f"{key} × {cls}" if cls else key


def pair_key(a: tuple[str, str], b: tuple[str, str]) -> str:
    (a1, v1), (a2, v2) = sorted([a, b])
    return f"{value_key(a1, v1)} & {value_key(a2, v2)}"


@dataclass
class Cell:
    """Objects (support) and found objects of one slice, per class."""

    support: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    images: int = 0
    sizes: list[float] = field(default_factory=list)

    def total(self) -> tuple[int, int]:
        return sum(self.found.values()), sum(self.support.values())


@dataclass
class Tally:
    """Per-class totals, and per-class counts in every single value and value pair."""

    totals: Cell = field(default_factory=Cell)
    values: dict[tuple[str, str], Cell] = field(default_factory=dict)
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], Cell] = field(default_factory=dict)
    missed_combos: dict[tuple[str, str], list[tuple[int, dict[str, str], str | None]]] = \
        field(default_factory=dict)
    has_images: bool = True
    rows: list[tuple[list[tuple[str, str]], dict[str, int], dict[str, int]]] = \
        field(default_factory=list)  # per eval image: its conditions, objects, found

    def recall_of(self, key: str) -> tuple[int, int] | None:
        """(found, support) of any key this tally knows."""
        base, _, cls = key.partition(" × ")
        if base.startswith("class="):
            c = base[len("class="):]
            return self.totals.found[c], self.totals.support[c]
        if " & " in base:
            a, b = (tuple(p.split("=", 1)) for p in base.split(" & "))
            cell = self.pairs.get(tuple(sorted([a, b])))  # type: ignore[arg-type]
        else:
            cell = self.values.get(tuple(base.split("=", 1)))  # type: ignore[arg-type]
        if cell is None:
            return None
        if cls:
            return cell.found[cls], cell.support[cls]
        return cell.total()


def _conditions(variables: dict[str, str], scenario: str | None) -> list[tuple[str, str]]:
    out = [(a, str(v)) for a, v in sorted(variables.items()) if a != SCENARIO]
    if scenario:
        out.append((SCENARIO, scenario))
    return out


def tally_report(report: MisclassificationReport, *, pairs: bool = True) -> Tally:
    """Count found / support per class for every value and (optionally) value pair."""
    t = Tally()
    if report.images and not any(im.objects for im in report.images):
        t.has_images = False  # a report written before per-class image counts existed
        for s in report.slices:
            cell = t.values.setdefault((s.axis, s.value), Cell())
            if s.cls:
                cell.support[s.cls] += s.support
                cell.found[s.cls] += s.tp
        for c in report.classes:
            t.totals.support[c.name] += c.support
            t.totals.found[c.name] += c.tp
        return t
    for im in report.images:
        conds = _conditions(im.variables, im.scenario_id)
        t.rows.append((conds, dict(im.objects), dict(im.found)))
        combo = {**{a: v for a, v in conds if a != SCENARIO}}
        cells = [t.values.setdefault(k, Cell()) for k in conds]
        if pairs:
            cells += [t.pairs.setdefault(tuple(sorted([a, b])), Cell())  # type: ignore[arg-type]
                      for a, b in combinations([k for k in conds if k[0] != SCENARIO], 2)]
        for cell in [t.totals, *cells]:
            cell.support.update(im.objects)
            cell.found.update(im.found)
            cell.images += 1
            if im.object_size is not None:
                cell.sizes.append(im.object_size)
        misses = {c: n - im.found.get(c, 0) for c, n in im.objects.items() if n > im.found.get(c, 0)}
        for c, n in misses.items():
            for k in [*conds, ("class", c)]:
                t.missed_combos.setdefault(k, []).append((n, combo, im.scenario_id))
    return t


def spec_keys(variables: dict[str, str], scenario: str | None, classes_in_scenario: set[str],
              keys: Iterable[str]) -> list[str]:
    """The keys among `keys` that a spec with these variables and scenario belongs to."""
    have = dict(_conditions(variables, scenario))
    out = []
    for key in keys:
        base, _, cls = key.partition(" × ")
        if cls and cls not in classes_in_scenario:
            continue
        if base.startswith("class="):
            ok = base[len("class="):] in classes_in_scenario
        else:
            ok = all(have.get(a) == v for a, v in (p.split("=", 1) for p in base.split(" & ")))
        if ok:
            out.append(key)
    return out


def scenario_classes(policy: Policy) -> dict[str, set[str]]:
    """What a report counts per scenario: its object classes (detection) or its image label
    (classification)."""
    if policy.task == "classification":
        return {s.id: {s.label or s.kind} for s in policy.scenarios}
    return {s.id: {c.name for c in s.classes if c.count > 0} for s in policy.scenarios}


def train_counts(specs: Iterable[tuple[dict[str, str], str | None]], policy: Policy,
                 keys: Iterable[str]) -> dict[str, int]:
    """Training images per key, from (variables, scenario id) of the training specs."""
    keys = list(keys)
    in_scenario = scenario_classes(policy)
    counts: Counter = Counter()
    for variables, scenario in specs:
        counts.update(spec_keys(variables, scenario, in_scenario.get(scenario or "", set()), keys))
    return {k: counts[k] for k in keys}
