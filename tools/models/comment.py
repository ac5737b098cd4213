"""A reviewer's comment on one rule or scenario of a policy version (the review desk)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .base import Record

CommentTarget = Literal["rule", "scenario", "policy"]


class Comment(Record):
    """Stored by `Workspace.add_comment`; `target_id` is the rule or scenario id ('' for a
    comment on the whole policy)."""

    id: int | None = None
    policy_version: int
    target: CommentTarget
    target_id: str = Field(default="", max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    author: str = Field(default="", max_length=100)
    created_at: datetime | None = None
