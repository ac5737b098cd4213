"""The deterministic allocator: new images in proportion to each weak slice's error mass.

Error mass of a slice = the objects it missed (fn) plus its false positives; a slice's
share of the budget is its mass over the total mass of the weak slices taken, with a
minimum per weak slice so a slice with little mass still gets enough images to move.
It is the fallback when the LLM's plan is invalid or empty, and the `targeted-allocator`
arm of the loop-efficacy benchmark.
"""

from __future__ import annotations

from synthloop.tools.models import MisclassificationReport

from .schemas import SliceTarget

MAX_TARGETS = 6


def allocate(report: MisclassificationReport, budget: int, *, min_per_slice: int = 10,
             max_targets: int = MAX_TARGETS, axes: set[str] | None = None) -> list[SliceTarget]:
    """Split `budget` images over the weakest slices of `report` (ranked by its score).

    Only slices with errors count; slices on axes not in `axes` (when given) are skipped,
    and per-class slices are preferred over their whole-axis parents when both are weak.
    """
    if budget <= 0:
        return []
    weak = []
    seen = set()
    for s in report.slices:  # sorted worst first by the report
        mass = s.fn + s.fp
        if mass <= 0 or s.score <= 0:
            continue
        if axes is not None and s.axis not in axes and s.axis != "scenario":
            continue
        key = (s.axis, s.value)
        if key in seen:  # one target per axis value: the worst class of it
            continue
        seen.add(key)
        weak.append((s, mass))
        if len(weak) >= max_targets:
            break
    if not weak:
        return []
    min_each = min(min_per_slice, budget // len(weak))
    total_mass = sum(m for _, m in weak)
    counts = [min_each + int((budget - min_each * len(weak)) * m / total_mass) for _, m in weak]
    counts[0] += budget - sum(counts)  # rounding remainder to the worst slice
    return [
        SliceTarget(axis=s.axis, value=s.value, cls=s.cls, count=c,
                    hypothesis=f"allocator: {s.fn} missed, {s.fp} false positives in "
                    f"{s.n_images} images (recall {s.recall:.2f})")
        for (s, _), c in zip(weak, counts, strict=True) if c > 0
    ]
