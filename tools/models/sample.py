"""Sample: an image on disk with its annotations and provenance."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from .base import Record
from .spec import Split

Source = Literal["synthetic", "real", "augmented"]


class Annotation(Record):
    """One object, in pixel xyxy coordinates clipped to the image."""

    cls: str
    box: tuple[float, float, float, float]
    occluded: float = Field(default=0.0, ge=0.0, le=1.0, description="fraction hidden")
    truncated: bool = Field(default=False, description="clipped by the image border")

    _hash_exclude = frozenset()

    @field_validator("box")
    @classmethod
    def _ordered(cls, b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        if not (b[0] < b[2] and b[1] < b[3]):
            raise ValueError(f"box {b} must have x0 < x1 and y0 < y1")
        return b


class Provenance(Record):
    generator: str
    generator_version: str = ""
    model: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    elapsed_s: float = 0.0
    parent_sample: str | None = Field(default=None, description="for augmented copies")
    note: str = ""

    _hash_exclude = frozenset({"elapsed_s"})


class Sample(Record):
    id: str
    spec_id: str | None = None
    image: str = Field(description="path relative to the workspace, content-addressed")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    annotations: list[Annotation] = Field(default_factory=list)
    label: str | None = None
    scenario_id: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    split: Split | None = None
    source: Source = "synthetic"
    provenance: Provenance
    flags: list[str] = Field(default_factory=list, description="verifier flags for review")
    created_at: datetime | None = None
