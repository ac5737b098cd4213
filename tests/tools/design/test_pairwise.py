"""Pairwise designs really cover every pair (checked by brute force), stay far smaller
than the full product, and are deterministic per seed."""

from __future__ import annotations

import itertools
import random

import pytest

from synthloop.tools.design import pairwise_design, pairwise_size
from synthloop.tools.design.pairwise import all_pairs, covered_pairs, full_product_size
from tests.support.factories import axes_policy


def brute_force_covered(rows, levels) -> bool:
    """Every (i, a, j, b) found by scanning the rows, independent of covered_pairs."""
    for i, j in itertools.combinations(range(len(levels)), 2):
        for a in range(levels[i]):
            for b in range(levels[j]):
                if not any(r[i] == a and r[j] == b for r in rows):
                    return False
    return True


@pytest.mark.parametrize("levels", [[2, 2], [2, 3, 4], [3, 3, 3, 3], [5, 2, 2, 3, 4],
                                    [1, 4, 2], [6, 6, 6], [2] * 10])
def test_every_pair_is_covered(levels):
    rows = pairwise_design(levels, seed=3)
    assert brute_force_covered(rows, levels)
    assert covered_pairs(rows, levels) == all_pairs(levels)
    assert all(len(r) == len(levels) and all(0 <= v < k for v, k in zip(r, levels, strict=True))
               for r in rows)
    assert len(rows) >= max(a * b for a, b in itertools.combinations(levels, 2))


def test_random_level_sets_are_covered():
    rng = random.Random(0)
    for _ in range(15):
        levels = [rng.randint(1, 5) for _ in range(rng.randint(2, 6))]
        assert brute_force_covered(pairwise_design(levels, seed=rng.randint(0, 99)), levels)


def test_design_is_small_against_the_full_product():
    levels = [6] * 6
    rows = pairwise_design(levels)
    assert full_product_size(levels) == 46656
    assert 36 <= len(rows) <= 60  # 36 is the lower bound (6 x 6 pairs of the first two axes)


def test_deterministic_per_seed():
    assert pairwise_design([3, 4, 2, 5], seed=7) == pairwise_design([3, 4, 2, 5], seed=7)


def test_edge_cases():
    assert pairwise_design([]) == []
    assert pairwise_design([3]) == [(0,), (1,), (2,)]
    with pytest.raises(ValueError, match="at least one value"):
        pairwise_design([2, 0])


def test_pairwise_size_of_a_policy():
    rows, full = pairwise_size(axes_policy([3, 3, 2], n_scenarios=2))
    assert full == 2 * 3 * 3 * 2
    assert 9 <= rows < full
