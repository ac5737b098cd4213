"""The allocator: the budget over the analysis' candidates by expected gain.

- **exploit**: the best `max_targets` candidates get the targeted budget in proportion to
  their expected gain (excess misses x responsiveness, see tools/analysis), with at least
  `min_per_target` each;
- **explore**: `explore_fraction` of it goes, in equal parts, to up to two candidates that
  did not make the cut (probes of likely pixel-limited slices first, then untried ones,
  then the ones that got fewest images), so that no slice is starved forever and a new
  weakness gets measured before images are spent on it. A slice already found
  data-insensitive gets none: images were measured not to move it (its remedy is the
  recommendation), and every report measures it again anyway; with nothing to explore the
  share goes to the exploit targets;
- **near misses**: `near_miss_fraction` of each exploit target's images re-use the exact
  variable combinations (and scenario) of eval images whose objects it missed, with new
  seeds and layouts: hard-example mining in spec space.

It is the `allocator` planner, the fallback when the LLM's plan is refused, and what the
LLM's choices are checked against. The class floor is added by the caller (validate.py).
"""

from __future__ import annotations

from synthloop.tools.analysis import Candidate, WeaknessAnalysis

from .schemas import SliceTarget

MAX_TARGETS = 4
EXPLORE_FRACTION = 0.1
NEAR_MISS_FRACTION = 0.5


def target_for(c: Candidate, count: int, *, purpose: str = "exploit", hypothesis: str = "",
               near_miss_fraction: float = NEAR_MISS_FRACTION) -> SliceTarget:
    """The SliceTarget that spends `count` images on candidate `c`."""
    if c.kind == "class":
        axis, value = "class", c.cls or ""
    else:
        axis, value = next(iter(c.fixed.items()))
    near = round(count * near_miss_fraction) if c.near_miss and purpose == "exploit" else 0
    return SliceTarget(axis=axis, value=value, cls=c.cls, count=count, candidate=c.id, key=c.key,
                       evidence=c.evidence(), fixed=dict(c.fixed), near_miss=list(c.near_miss),
                       near_miss_count=near, purpose=purpose,
                       hypothesis=hypothesis or f"{c.key}: {c.evidence()}"[:400])


def split_by_weight(total: int, weights: list[float], min_each: int) -> list[int]:
    """`total` in proportion to `weights`, at least `min_each` each when it fits; the
    rounding remainder goes to the largest weight."""
    if not weights or total <= 0:
        return [0] * len(weights)
    min_each = min(min_each, total // len(weights))
    mass = sum(weights) or float(len(weights))
    w = weights if sum(weights) else [1.0] * len(weights)
    counts = [min_each + int((total - min_each * len(w)) * x / mass) for x in w]
    counts[max(range(len(w)), key=lambda i: w[i])] += total - sum(counts)
    return counts


def explore_reason(c: Candidate) -> str:
    """An exploration target's hypothesis: its numbers and why it gets a small share."""
    probe = "a probe of a likely pixel-limited slice" if c.probe else \
        "a share kept so that no weakness is starved"
    return (f"explore: {c.found}/{c.support} found, recall {c.recall:.2f} vs "
            f"{c.reference:.2f}; {c.responsiveness}, {c.images_added} images so far: {probe}")


def explore_pool(analysis: WeaknessAnalysis, exploited: set[str]) -> list[Candidate]:
    """Candidates for the exploration share, most in need of a measurement first."""
    order = {"untried": 0, "unclear": 1, "responsive": 2}
    rest = [c for c in analysis.candidates if c.id not in exploited]
    return sorted(rest, key=lambda c: (not c.probe, order[c.responsiveness], c.images_added,
                                       -c.excess_misses, c.key))


def allocate(analysis: WeaknessAnalysis, budget: int, *, min_per_target: int = 10,
             max_targets: int = MAX_TARGETS, explore_fraction: float = EXPLORE_FRACTION,
             near_miss_fraction: float = NEAR_MISS_FRACTION) -> list[SliceTarget]:
    """Split `budget` targeted images over the analysis' candidates (see the module doc)."""
    top = [c for c in analysis.candidates if c.expected_gain > 0][:max_targets]
    pool = explore_pool(analysis, {c.id for c in top})[:2]
    if budget <= 0 or not (top or any(c.probe for c in pool)):
        return []
    explore = round(budget * explore_fraction) if pool else 0
    if explore < len(pool):
        explore, pool = 0, []
    counts = split_by_weight(budget - explore, [c.expected_gain for c in top], min_per_target)
    targets = [target_for(c, n, near_miss_fraction=near_miss_fraction)
               for c, n in zip(top, counts, strict=True) if n > 0]
    for c, n in zip(pool, split_by_weight(explore, [1.0] * len(pool), 0), strict=True):
        if n > 0:
            targets.append(target_for(c, n, purpose="explore", hypothesis=explore_reason(c)))
    return targets
