"""TrainRun: one training of a model on a dataset version."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Record

RunStatus = Literal["running", "finished", "interrupted", "failed"]


class TrainRun(Record):
    """`id` hashes the dataset and the resolved config: training the same data the same
    way is the same run, so a resumed loop never counts a training twice."""

    id: str = ""
    dataset_id: str
    task: Literal["detection", "classification"] = "detection"
    config: dict[str, Any] = Field(default_factory=dict)
    status: RunStatus = "running"
    weights: str | None = Field(default=None, description="best weights, workspace-relative")
    last: str | None = Field(default=None, description="last checkpoint, workspace-relative")
    epochs: list[dict[str, float]] = Field(default_factory=list, description="metrics per epoch")
    wall_time_s: float = 0.0
    iteration: int | None = None
    error: str | None = None
    created_at: datetime | None = None

    _hash_exclude = frozenset(
        {"id", "status", "weights", "last", "epochs", "wall_time_s", "iteration", "error", "created_at"}
    )

    @model_validator(mode="after")
    def _set_id(self) -> TrainRun:
        want = self.content_hash()
        if self.id != want:
            object.__setattr__(self, "id", want)
        return self
