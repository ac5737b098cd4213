"""GenerationSpec: everything a generator needs to make one image, with its ground truth."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Record

Split = Literal["train", "val", "test"]
Box = tuple[float, float, float, float]


class LayoutBox(Record):
    """One object to place, in normalised xyxy coordinates (0..1, origin top-left)."""

    cls: str = Field(description="policy class name")
    phrase: str = Field(default="", max_length=200, description="grounding phrase for GLIGEN")
    box: Box
    parent: int | None = Field(
        default=None, description="index of the person box a worn/held item belongs to"
    )

    _hash_exclude = frozenset()

    @field_validator("box")
    @classmethod
    def _valid_box(cls, b: Box) -> Box:
        x0, y0, x1, y1 = b
        if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
            raise ValueError(f"box {b} must satisfy 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1")
        return b


class GenerationSpec(Record):
    """What to make. `id` is the content hash of the fields that decide the image, so a
    spec that already has a sample is skipped on re-runs (idempotent generation)."""

    id: str = ""
    policy_version: int
    scenario_id: str
    prompt: str = Field(max_length=2000)
    negative_prompt: str = Field(default="", max_length=1000)
    layout: list[LayoutBox] = Field(default_factory=list)
    seed: int = Field(ge=0, lt=2**32)
    variables: dict[str, str] = Field(default_factory=dict)
    split: Split = "train"
    label: str | None = Field(default=None, description="image label for classification")
    iteration: int = Field(default=0, ge=0, description="loop iteration that asked for it")
    origin: str = Field(default="initial", max_length=200, description="why it was made")

    _hash_exclude = frozenset({"id", "iteration", "origin"})

    @model_validator(mode="after")
    def _set_id(self) -> GenerationSpec:
        want = self.content_hash()
        if self.id != want:
            object.__setattr__(self, "id", want)
        return self
