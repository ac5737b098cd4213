"""Turn a validated plan into GenerationSpecs, deterministically (same plan -> same specs,
so a resumed iteration regenerates nothing)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from synthloop.tools.analysis.tally import scenario_classes
from synthloop.tools.design import expand_specs
from synthloop.tools.models import GenerationSpec, Policy

from .schemas import SliceTarget, ValidatedPlan


def derive_seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big")


def scenarios_with_class(policy: Policy, cls: str) -> dict[str, float]:
    """Scenario weights restricted to scenarios that show `cls` (detection) or whose image
    label is `cls` (classification)."""
    shows = scenario_classes(policy)
    return {s.id: s.weight for s in policy.scenarios if cls in shows.get(s.id, set())}


def contrast_scenario(policy: Policy, scenario: str | None, key: int) -> str | None:
    """Classification: a scenario whose image label differs from `scenario`'s (drawn by
    weight, deterministically from `key`), or None when there is none."""
    labels = scenario_classes(policy)
    mine = labels.get(scenario or "", set())
    others = [s for s in policy.scenarios if labels.get(s.id, set()) != mine]
    if not mine or not others:
        return None
    total = sum(s.weight for s in others) or 1.0
    x = (key % 10_000) / 10_000 * total
    for s in others:
        x -= s.weight
        if x < 0:
            return s.id
    return others[-1].id


def target_specs(policy: Policy, t: SliceTarget, *, seed: int, iteration: int,
                 split: str = "train") -> Iterator[GenerationSpec]:
    """The target's specs: first its near misses (the exact variables and scenario of eval
    images it missed, cycled, each with a new seed and layout), then stratified specs with
    its fixed values, in scenarios that show its class.

    Classification: every second near miss keeps the missed image's variables but takes a
    scenario with another label (a contrast pair), so the condition's images keep both
    labels: a classifier taught "night images are helmets" only flips its night errors to
    the other label (measured on helmet_cls)."""
    fixed: dict[str, str] = dict(t.fixed)
    weights: dict[str, float] | None = None
    if not fixed:
        if t.axis == "scenario":
            fixed["scenario"] = t.value
        elif t.axis == "class":
            weights = scenarios_with_class(policy, t.value) or None
        else:
            fixed[t.axis] = t.value
    if t.cls and "scenario" not in fixed:
        weights = scenarios_with_class(policy, t.cls) or weights
    origin = f"targeted {t.slice_key()}"
    near = min(t.near_miss_count, t.count) if t.near_miss else 0
    pairs = policy.task == "classification" and "scenario" not in t.fixed
    made = 0
    for i in range(near):
        miss = t.near_miss[(i // 2 if pairs else i) % len(t.near_miss)]
        combo = {k: v for k, v in miss.items()
                 if k == "scenario" or policy.get_axis(k) is not None or k in fixed}
        tag = "near miss"
        if pairs and i % 2:
            other = contrast_scenario(policy, combo.get("scenario"), derive_seed(seed, "pair", i))
            if other:
                combo["scenario"], tag = other, "near-miss contrast"
        got = list(expand_specs(policy, 1, strategy="random", seed=derive_seed(seed, "near", i),
                                split=split, iteration=iteration, origin=f"{origin} ({tag})",
                                fixed={**combo, **fixed}))
        made += len(got)
        yield from got
    yield from expand_specs(policy, t.count - made, strategy="stratified", seed=seed, split=split,
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
        key = t.slice_key()
        per_slice[key] = per_slice.get(key, 0) + len(got)
    return specs, per_slice
