"""Turn a validated plan into GenerationSpecs, deterministically (same plan -> same specs,
so a resumed iteration regenerates nothing)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from synthloop.tools.design import expand_specs
from synthloop.tools.models import GenerationSpec, Policy

from .schemas import SliceTarget, ValidatedPlan


def derive_seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big")


def scenarios_with_class(policy: Policy, cls: str) -> dict[str, float]:
    """Scenario weights restricted to scenarios in which `cls` appears."""
    return {s.id: s.weight for s in policy.scenarios
            if any(c.name == cls and c.count > 0 for c in s.classes)}


def target_specs(policy: Policy, t: SliceTarget, *, seed: int, iteration: int,
                 split: str = "train") -> Iterator[GenerationSpec]:
    fixed: dict[str, str] = {}
    weights: dict[str, float] | None = None
    if t.axis == "scenario":
        fixed["scenario"] = t.value
    elif t.axis == "class":
        weights = scenarios_with_class(policy, t.value) or None
    else:
        fixed[t.axis] = t.value
    if t.cls and t.axis != "scenario":
        weights = scenarios_with_class(policy, t.cls) or weights
    origin = f"targeted {t.axis}={t.value}" + (f" x {t.cls}" if t.cls else "")
    yield from expand_specs(policy, t.count, strategy="stratified", seed=seed, split=split,
                            iteration=iteration, origin=origin, fixed=fixed or None,
                            scenario_weights=weights)


def plan_to_specs(policy: Policy, plan: ValidatedPlan, *, iteration: int,
                  base_seed: int) -> tuple[list[GenerationSpec], dict[str, int]]:
    """All specs of one iteration, and how many were planned per target slice."""
    specs: list[GenerationSpec] = []
    per_slice: dict[str, int] = {}
    if plan.floor:
        specs += list(expand_specs(policy, plan.floor, strategy="stratified",
                                   seed=derive_seed(base_seed, iteration, "floor"), split="train",
                                   iteration=iteration, origin="floor"))
        per_slice["(floor: all scenarios)"] = plan.floor
    for i, t in enumerate(plan.targets):
        got = list(target_specs(policy, t, seed=derive_seed(base_seed, iteration, i, t.axis, t.value),
                                iteration=iteration))
        specs += got
        key = f"{t.axis}={t.value}" + (f" x {t.cls}" if t.cls else "")
        per_slice[key] = per_slice.get(key, 0) + len(got)
    return specs, per_slice
