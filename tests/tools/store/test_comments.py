"""Reviewers' comments on a policy version (schema v4) and a scenario's samples a page at
a time (the review desk's reads)."""

from __future__ import annotations

import pytest

from synthloop.tools.errors import NotFound, ValidationError
from synthloop.tools.store import Workspace
from tests.support.factories import hard_hat_policy
from tests.support.old_schema import rewind_schema
from tests.support.review_desk import add_samples


def test_comments_are_kept_per_version_and_target(ws):
    ws.save_policy(hard_hat_policy())
    ws.save_policy(hard_hat_policy())
    a = ws.add_comment(1, "rule", "R1", "  say which hats count  ", author="ana")
    ws.add_comment(1, "scenario", "no_hat", "more at night")
    ws.add_comment(2, "policy", "", "fine now")
    assert a.id is not None and a.text == "say which hats count" and a.author == "ana"
    assert [(c.target, c.target_id, c.text) for c in ws.list_comments(1)] == [
        ("rule", "R1", "say which hats count"), ("scenario", "no_hat", "more at night")]
    assert [c.text for c in ws.list_comments(2)] == ["fine now"]
    assert ws.list_comments(3) == []


@pytest.mark.parametrize("version, target, target_id, text, error", [
    (9, "rule", "R1", "x", NotFound),
    (1, "rule", "R7", "x", ValidationError),
    (1, "scenario", "R1", "x", ValidationError),
    (1, "rule", "R1", " \n ", ValidationError),
])
def test_a_comment_on_nothing_is_refused(ws, version, target, target_id, text, error):
    ws.save_policy(hard_hat_policy())
    with pytest.raises(error):
        ws.add_comment(version, target, target_id, text)
    assert ws.list_comments(1) == []


def test_a_version_3_workspace_gains_the_comments_table(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        ws.save_policy(hard_hat_policy())
    rewind_schema(tmp_path / "ws", 3, "DROP TABLE comments")
    with Workspace.open(tmp_path / "ws", write=True) as ws:
        ws.add_comment(1, "rule", "R1", "migrated")
        assert [c.text for c in ws.list_comments(1)] == ["migrated"]


def test_a_scenarios_samples_come_a_page_at_a_time(ws):
    ws.save_policy(hard_hat_policy())
    add_samples(ws, 1, 25)  # 13 with_hat, 12 no_hat
    assert ws.scenario_sample_counts(1) == {"with_hat": 13, "no_hat": 12}
    first = ws.scenario_samples(1, "with_hat", limit=10)
    rest = ws.scenario_samples(1, "with_hat", limit=10, offset=10)
    assert len(first) == 10 and len(rest) == 3
    assert {s.scenario_id for s in first + rest} == {"with_hat"}
    assert len({s.id for s in first + rest}) == 13
    assert ws.scenario_samples(2, "with_hat", limit=10) == []
    with pytest.raises(ValidationError):
        ws.scenario_samples(1, "with_hat", limit=-1)
