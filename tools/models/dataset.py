"""DatasetVersion: an immutable list of sample ids per split."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from .base import Record
from .policy import TaskType

HoldoutKind = Literal["real", "synthetic"]


class DatasetVersion(Record):
    """`id` is the manifest hash: the same samples in the same splits give the same id."""

    id: str = ""
    policy_version: int
    task: TaskType = "detection"
    class_names: list[str]
    splits: dict[str, list[str]] = Field(description="split name -> sorted sample ids")
    holdout: HoldoutKind = "synthetic"
    parent: str | None = None
    note: str = ""
    excluded: list[str] = Field(default_factory=list,
                                description="quarantined sample ids left out of this version")
    created_at: datetime | None = None

    _hash_exclude = frozenset({"id", "created_at", "note", "parent", "excluded"})

    @model_validator(mode="after")
    def _normalise(self) -> DatasetVersion:
        for k, ids in self.splits.items():
            if ids != sorted(set(ids)):
                self.splits[k] = sorted(set(ids))
        want = self.content_hash()
        if self.id != want:
            object.__setattr__(self, "id", want)
        return self

    @property
    def excluded_count(self) -> int:
        return len(self.excluded)

    def count(self, split: str | None = None) -> int:
        if split is not None:
            return len(self.splits.get(split, []))
        return sum(len(v) for v in self.splits.values())
