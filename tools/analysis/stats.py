"""The few statistics the weakness analysis needs, written out so each number can be explained.

- `two_proportion_z`: is a slice's recall below the rest of its class? (pooled-variance z)
- `stratified_z`: is a condition's recall below what each class's recall elsewhere predicts?
  Observed found objects against the expectation summed over classes (Mantel-Haenszel
  style), so a condition full of a hard class is not blamed for that class.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """z of p1 - p2 with the pooled variance; 0.0 when either side is empty or the
    pooled proportion is 0 or 1 (no evidence either way)."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    p = (k1 + k2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 0.0
    return (k1 / n1 - k2 / n2) / math.sqrt(var)


def stratified_z(cells: Iterable[tuple[int, int, float]]) -> tuple[float, float]:
    """(z, expected recall) for strata of (found, support, expected recall): z of the
    observed found objects against the sum of support x expected recall."""
    obs = exp = var = 0.0
    n_total = 0
    for found, n, p in cells:
        p = min(max(p, 0.0), 1.0)
        obs += found
        exp += n * p
        var += n * p * (1 - p)
        n_total += n
    if n_total == 0:
        return 0.0, 0.0
    expected = exp / n_total
    if var <= 0:
        # every stratum is certain (recall 0 or 1 elsewhere): a deficit is then clear-cut
        return (-10.0 if obs < exp - 0.5 else 0.0), expected
    return (obs - exp) / math.sqrt(var), expected
