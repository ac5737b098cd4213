"""Reads and writes the review desk needs (mixed into Workspace): reviewers' comments on a
policy version's rules and scenarios, and a scenario's samples a page at a time.

Like records.py, this module does not import workspace.py; the class it is mixed into
provides `conn` and `transaction()`.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..models import Sample
from ..models.comment import Comment, CommentTarget

MAX_COMMENT = 2000


class CommentsMixin:
    """Comment and paged-sample methods over `conn` (see the module docstring)."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
            ...

        def get_policy(self, version: int | None = None):
            ...

    # -- comments ----------------------------------------------------------------------
    def add_comment(self, policy_version: int, target: CommentTarget, target_id: str,
                    text: str, author: str = "") -> Comment:
        """Store a reviewer's comment on one rule or scenario (or the whole policy, with
        target 'policy' and target_id '') of a stored version; returns it with its id.
        An empty comment, or a rule or scenario the version lacks, is a ValidationError."""
        policy = self.get_policy(policy_version)  # NotFound for an unknown version
        text = text.strip()
        if not text:
            raise ValidationError("a comment needs some text", "say what should change")
        known = {"rule": [r.id for r in policy.rules],
                 "scenario": [s.id for s in policy.scenarios], "policy": [""]}[target]
        if target_id not in known:
            raise ValidationError(f"policy v{policy_version} has no {target} {target_id!r}",
                                  f"comment on one of: {', '.join(known) or '(none)'}")
        comment = Comment(policy_version=policy_version, target=target, target_id=target_id,
                          text=text[:MAX_COMMENT], author=author[:100],
                          created_at=datetime.now(UTC))
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO comments (policy_version, target, target_id, text, author, "
                "created_at) VALUES (?,?,?,?,?,?)",
                (comment.policy_version, comment.target, comment.target_id, comment.text,
                 comment.author, comment.created_at.isoformat(timespec="milliseconds")))
            return comment.model_copy(update={"id": int(cur.lastrowid)})

    def list_comments(self, policy_version: int) -> list[Comment]:
        """The comments on a policy version, oldest first."""
        rows = self.conn.execute(
            "SELECT id, policy_version, target, target_id, text, author, created_at "
            "FROM comments WHERE policy_version=? ORDER BY id", (policy_version,)).fetchall()
        keys = ("id", "policy_version", "target", "target_id", "text", "author", "created_at")
        return [Comment.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    # -- a scenario's samples, paged ---------------------------------------------------
    def scenario_sample_counts(self, policy_version: int) -> dict[str, int]:
        """How many samples each scenario of `policy_version` has (scenarios with none are
        absent)."""
        rows = self.conn.execute(
            "SELECT s.scenario_id, COUNT(*) FROM samples m JOIN specs s ON m.spec_id = s.id "
            "WHERE s.policy_version = ? GROUP BY s.scenario_id", (policy_version,))
        return dict(rows.fetchall())

    def scenario_samples(self, policy_version: int, scenario_id: str, *, limit: int,
                         offset: int = 0) -> list[Sample]:
        """Samples of one scenario of `policy_version`, oldest first: `limit` of them
        after skipping `offset`."""
        if limit < 0 or offset < 0:
            raise ValidationError(f"limit {limit} and offset {offset} must be 0 or more")
        rows = self.conn.execute(
            "SELECT m.data FROM samples m JOIN specs s ON m.spec_id = s.id "
            "WHERE s.policy_version = ? AND s.scenario_id = ? "
            "ORDER BY m.created_at, m.id LIMIT ? OFFSET ?",
            (policy_version, scenario_id, limit, offset)).fetchall()
        return [Sample.model_validate_json(r[0]) for r in rows]


__all__ = ["CommentsMixin"]
