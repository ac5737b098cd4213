"""MisclassificationReport: where a trained model fails, per class and per slice."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .base import Record


class EvalSetInfo(Record):
    kind: Literal["real", "synthetic"]
    n_images: int
    n_objects: int = 0
    dataset_id: str | None = None
    split: str = "test"


class ClassMetrics(Record):
    name: str
    support: int = Field(description="ground-truth objects (detection) or images (classification)")
    tp: int = 0
    fp: int = 0
    fn: int = 0
    precision: float = 0.0
    recall: float = 0.0
    map50: float | None = None
    map50_95: float | None = None


class ConfusionMatrix(Record):
    """rows = true class, columns = predicted class; detection adds 'background' last."""

    labels: list[str]
    matrix: list[list[int]]


class ImageResult(Record):
    sample_id: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    confusions: list[tuple[str, str]] = Field(default_factory=list, description="(true, predicted)")
    missed: list[str] = Field(default_factory=list, description="classes of missed objects")


class SliceMetrics(Record):
    """Metrics for the images whose spec had `axis=value` (axis 'scenario' for scenarios),
    optionally restricted to one class."""

    axis: str
    value: str
    cls: str | None = None
    n_images: int
    support: int
    tp: int = 0
    fn: int = 0
    fp: int = 0
    recall: float = 0.0
    recall_ci: tuple[float, float] = (0.0, 1.0)
    precision: float = 0.0
    score: float = Field(default=0.0, description="weakness score; higher is worse")

    def key(self) -> str:
        base = f"{self.axis}={self.value}"
        return f"{base} × {self.cls}" if self.cls else base


class MisclassificationReport(Record):
    id: str = ""
    train_run_id: str | None = None
    dataset_id: str | None = None
    task: Literal["detection", "classification"] = "detection"
    eval_set: EvalSetInfo
    overall: dict[str, float] = Field(default_factory=dict)
    classes: list[ClassMetrics] = Field(default_factory=list)
    confusion: ConfusionMatrix | None = None
    images: list[ImageResult] = Field(default_factory=list)
    slices: list[SliceMetrics] = Field(default_factory=list, description="sorted worst first")
    iou_threshold: float = 0.5
    conf_threshold: float = 0.25
    created_at: datetime | None = None
