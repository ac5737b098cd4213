"""Fixtures for dataset tests."""

from __future__ import annotations

import pytest

from tests.support.factories import detection_policy, store_sample


@pytest.fixture
def det_ws(ws):
    """A detection workspace: 12 synthetic train, 3 synthetic test, 4 real test samples."""
    pol = detection_policy(ws)
    for i in range(12):
        store_sample(ws, i, anns=[("person", (4, 4, 30, 40)), ("hard_hat", (10, 2, 22, 10))])
    for i in range(12, 15):
        store_sample(ws, i, split="test")
    for i in range(20, 24):
        store_sample(ws, i, source="real", split="test")
    return ws, pol
