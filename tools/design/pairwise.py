"""Pairwise (strength-2 covering) designs: a short list of rows in which every value of
every factor meets every value of every other factor at least once.

Greedy, AETG-style: each new row starts from the factor value with the most uncovered
pairs, then fills the other factors in a random order, each with the value that covers the
most new pairs; the best of a few candidate rows is kept. Not minimal, but close (6 factors
of 6 values: about 50 rows against 46,656 for the full product) and deterministic per seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

CANDIDATES = 12


def pairwise_design(levels: Sequence[int], *, seed: int = 0) -> list[tuple[int, ...]]:
    """Rows of value indices covering every pair of values of every two factors.

    `levels[i]` is the number of values of factor i. A single factor gives one row per
    value; no factors give no rows.

    >>> rows = pairwise_design([2, 2, 2])
    >>> len(rows) <= 6 and covered_pairs(rows, [2, 2, 2]) == all_pairs([2, 2, 2])
    True
    """
    levels = list(levels)
    if any(k < 1 for k in levels):
        raise ValueError(f"every factor needs at least one value; got levels {levels}")
    k = len(levels)
    if k == 0:
        return []
    if k == 1:
        return [(v,) for v in range(levels[0])]
    rng = random.Random(seed)
    # uncovered[i][j] holds the (a, b) value pairs of factors i < j not yet in any row
    uncovered = {(i, j): {(a, b) for a in range(levels[i]) for b in range(levels[j])}
                 for i in range(k) for j in range(i + 1, k)}
    left = sum(len(s) for s in uncovered.values())
    rows: list[tuple[int, ...]] = []
    while left:
        best_row, best_gain = None, -1
        start = _busiest(uncovered, levels, rng)
        for _ in range(CANDIDATES):
            row = _candidate(start, uncovered, levels, rng)
            gain = _gain(row, uncovered)
            if gain > best_gain:
                best_row, best_gain = row, gain
        for (i, j), pairs in uncovered.items():
            pairs.discard((best_row[i], best_row[j]))
        left -= best_gain
        rows.append(best_row)
    return rows


def _busiest(uncovered, levels, rng) -> tuple[int, int]:
    count: dict[tuple[int, int], int] = {}
    for (i, j), pairs in uncovered.items():
        for a, b in pairs:
            count[(i, a)] = count.get((i, a), 0) + 1
            count[(j, b)] = count.get((j, b), 0) + 1
    top = max(count.values())
    return rng.choice(sorted(key for key, c in count.items() if c == top))


def _candidate(start, uncovered, levels, rng) -> tuple[int, ...]:
    k = len(levels)
    row: list[int | None] = [None] * k
    row[start[0]] = start[1]
    order = [f for f in range(k) if f != start[0]]
    rng.shuffle(order)
    for f in order:
        best, best_v = -1, []
        for v in range(levels[f]):
            gain = 0
            for g in range(k):
                if row[g] is None:
                    continue
                pair = (g, f) if g < f else (f, g)
                vals = (row[g], v) if g < f else (v, row[g])
                gain += vals in uncovered[pair]
            if gain > best:
                best, best_v = gain, [v]
            elif gain == best:
                best_v.append(v)
        row[f] = rng.choice(best_v)
    return tuple(row)  # type: ignore[arg-type]


def _gain(row, uncovered) -> int:
    return sum((row[i], row[j]) in pairs for (i, j), pairs in uncovered.items())


def all_pairs(levels: Sequence[int]) -> set[tuple[int, int, int, int]]:
    """Every (factor i, value a, factor j, value b) with i < j: what a design must cover."""
    k = len(levels)
    return {(i, a, j, b) for i in range(k) for j in range(i + 1, k)
            for a in range(levels[i]) for b in range(levels[j])}


def covered_pairs(rows, levels: Sequence[int]) -> set[tuple[int, int, int, int]]:
    """The (i, a, j, b) pairs that `rows` cover."""
    k = len(levels)
    return {(i, r[i], j, r[j]) for r in rows for i in range(k) for j in range(i + 1, k)}


def full_product_size(levels: Sequence[int]) -> int:
    """The number of rows of the full factorial design."""
    return math.prod(levels) if levels else 0
