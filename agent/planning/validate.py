"""Code checks the LLM's plan: known classes and axes only, within budget, a class floor.

An invalid or empty plan falls back to the deterministic allocator, and the fallback and
its reason are recorded in `ValidatedPlan.source`.
"""

from __future__ import annotations

import re

from synthloop.tools.models import MisclassificationReport, Policy

from .allocator import allocate
from .schemas import SliceTarget, TargetedPlan, ValidatedPlan

SAFE_VALUE = re.compile(r"^[a-z0-9][a-z0-9 _\-]{0,39}$")
MAX_NEW_VALUES = 2


def floor_size(policy: Policy, budget: int, fraction: float) -> int:
    """Images spread over every scenario each iteration, so no class is ever forgotten."""
    if budget <= 0:
        return 0
    return min(budget, max(len(policy.classes), round(budget * fraction)))


def check_target(t: SliceTarget, policy: Policy, new_values: list[str]) -> str | None:
    """Why `t` is refused, or None when it is acceptable (may register a new value)."""
    classes = set(policy.class_names())
    if t.cls is not None and t.cls not in classes:
        return f"unknown class {t.cls!r}"
    if t.axis == "scenario":
        return None if policy.get_scenario(t.value) else f"unknown scenario {t.value!r}"
    if t.axis == "class":
        return None if t.value in classes else f"unknown class {t.value!r}"
    axis = policy.get_axis(t.axis)
    if axis is None:
        return f"unknown axis {t.axis!r}"
    if t.value in axis.value_names():
        return None
    value = t.value.strip().lower()
    if not SAFE_VALUE.match(value):
        return f"new value {t.value!r} for {t.axis} is not a short plain phrase"
    if value in classes or value in (t.axis, "null", "none", "unknown", "other"):
        # seen from the 1.5B model: background=person, background=background
        return f"new value {t.value!r} for {t.axis} names a class or nothing, not a condition"
    if len(new_values) >= MAX_NEW_VALUES:
        return f"too many new values (max {MAX_NEW_VALUES}); {t.value!r} refused"
    new_values.append(f"{t.axis}={value}")
    return None


def normalise_target(t: SliceTarget, policy: Policy) -> tuple[SliceTarget, str | None]:
    """A class name used as an axis ('hard_hat=null', seen from small models) means that
    class's slice: it is read as class=<name>, and the reading is reported."""
    classes = set(policy.class_names())
    if t.axis in ("scenario", "class") or policy.get_axis(t.axis) is not None or t.axis not in classes:
        return t, None
    fixed = t.model_copy(update={"axis": "class", "value": t.axis, "cls": None})
    return fixed, f"{t.axis}={t.value} read as class={t.axis}"


def _scale(targets: list[SliceTarget], total: int, min_each: int) -> list[SliceTarget]:
    """Rescale counts so they add up to exactly `total`, keeping their proportions."""
    if not targets or total <= 0:
        return []
    want = [max(t.count, 0) for t in targets]
    mass = sum(want) or len(want)
    want = want if sum(want) else [1] * len(want)
    min_each = min(min_each, total // len(targets))
    counts = [min_each + int((total - min_each * len(targets)) * w / mass) for w in want]
    counts[max(range(len(counts)), key=lambda i: want[i])] += total - sum(counts)
    return [t.model_copy(update={"count": c}) for t, c in zip(targets, counts, strict=True) if c > 0]


def validate_plan(plan: TargetedPlan | None, *, policy: Policy, report: MisclassificationReport,
                  budget: int, floor_fraction: float = 0.15, min_per_slice: int = 10,
                  llm_error: str | None = None) -> ValidatedPlan:
    """Turn the LLM's plan into one that code vouches for (or the allocator's fallback)."""
    floor = floor_size(policy, budget, floor_fraction)
    targeted = budget - floor
    dropped: list[str] = []
    adjusted: list[str] = []
    kept: list[SliceTarget] = []
    new_values: list[str] = []
    if plan is not None:
        for t in plan.targets:
            t, note = normalise_target(t, policy)
            if note:
                adjusted.append(note)
            why = check_target(t, policy, new_values)
            if why:
                dropped.append(f"{t.axis}={t.value}: {why}")
            else:
                kept.append(t.model_copy(update={"value": t.value.strip()}))
    if kept:
        source = "llm"
        if plan is not None and sum(t.count for t in kept) > targeted:
            dropped.append(f"over budget: asked {sum(t.count for t in kept)}, "
                           f"{targeted} available; scaled down")
        targets = _scale(kept, targeted, min_per_slice)
        rationale = plan.rationale if plan else ""
    else:
        if llm_error:
            reason = f"LLM failed: {llm_error[:200]}"
        elif plan is None:
            reason = "no LLM plan"
        elif not plan.targets:
            reason = "LLM plan was empty"
        else:
            reason = "no valid targets in the LLM plan"
        source = f"fallback: {reason}"
        axes = {a.name for a in policy.axes}
        targets = allocate(report, targeted, min_per_slice=min_per_slice, axes=axes)
        rationale = "deterministic allocator: images in proportion to each weak slice's error mass"
        if not targets:  # nothing weak: spend it all on the floor
            floor = budget
    return ValidatedPlan(source=source, rationale=rationale, targets=targets, floor=floor,
                         dropped=dropped, adjusted=adjusted if kept else [], budget=budget)
