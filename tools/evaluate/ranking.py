"""Confidence intervals and the weakness score that ranks slices.

The score of a slice (its objects, or its images for classification) is

    score = max(0, R - upper95(tp, support)) * sqrt(support)

where R is the model's overall recall on the whole eval set and upper95 is the upper end of
the 95% Wilson interval of the slice's recall. Why this form:

- the *upper* bound makes a slice count as weak only when the evidence says so: 0 of 2
  found has an upper bound of 0.66, so two unlucky objects barely score, while 0 of 20
  (upper bound 0.16) scores high;
- multiplying by sqrt(support) prefers, at an equal gap, the slice with more evidence and
  more objects to win back, but only by the square root, so one huge slice with a small
  gap does not drown a mid-sized slice that fails outright;
- 0 means "not significantly below the overall recall". Ties (often at 0) are broken by
  the excess misses, (R - recall) * support: how many more objects the model would find if
  the slice were as good as the whole set.

Slices restricted to one class use the same R (the overall recall), so a class that is weak
everywhere shows up in many slices; the per-class table says that more briefly.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054

SCORE_METHOD = (
    "score = max(0, overall_recall - wilson95_upper(slice recall)) * sqrt(support); "
    "0 = not significantly below the overall recall; ties broken by excess misses "
    "(overall_recall - recall) * support"
)


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion k/n; (0, 1) when n is 0.

    >>> [round(x, 3) for x in wilson_interval(0, 20)]
    [0.0, 0.161]
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= k <= n:
        raise ValueError(f"k={k} must lie in 0..n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def weakness_score(tp: int, support: int, reference_recall: float) -> float:
    """How clearly, and over how many objects, a slice's recall falls below the reference
    (see the module docstring); 0.0 for an empty slice."""
    if support <= 0:
        return 0.0
    upper = wilson_interval(tp, support)[1]
    return max(0.0, reference_recall - upper) * math.sqrt(support)


def excess_misses(tp: int, support: int, reference_recall: float) -> float:
    """Objects the slice would gain at the reference recall (negative when it is better)."""
    return reference_recall * support - tp
