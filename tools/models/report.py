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


class PredictedBox(Record):
    """One prediction kept in the report (for the failure gallery): pixel xyxy, or no box
    for a classification label."""

    cls: str
    conf: float = Field(ge=0.0, le=1.0)
    box: tuple[float, float, float, float] | None = None

    _hash_exclude = frozenset()


class ImageResult(Record):
    """One eval image. Detection: `tp` objects found with the right class; `fn` objects not
    found with the right class (missed + confused); `fp` predictions that are not a TP
    (background + confused); `confusions` (true, predicted) pairs matched by IoU."""

    sample_id: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    confusions: list[tuple[str, str]] = Field(default_factory=list, description="(true, predicted)")
    missed: list[str] = Field(default_factory=list, description="classes of missed objects")
    predicted: list[PredictedBox] = Field(default_factory=list, description="predictions above conf")
    scenario_id: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    objects: dict[str, int] = Field(default_factory=dict,
                                    description="ground-truth objects per class (classification: "
                                    "the label, 1)")
    found: dict[str, int] = Field(default_factory=dict, description="of those, found per class")
    object_size: float | None = Field(
        default=None, description="median shorter side of the image's ground-truth boxes, as "
        "a fraction of the image side (None without boxes): what decides whether an object "
        "has enough pixels at the training size")


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
    score_method: str = Field(default="", description="how slices.score ranks weakness")
    notes: list[str] = Field(default_factory=list, description="caveats, e.g. classes absent")
    model: str = Field(default="", description="weights the report evaluated, workspace-relative")
    created_at: datetime | None = None


class MetricDelta(Record):
    """One metric of one class or slice in two reports; delta = new - old (None if absent)."""

    key: str
    metric: str
    old: float | None = None
    new: float | None = None
    delta: float | None = None
    old_support: int = 0
    new_support: int = 0
    higher_is_better: bool = True

    def improved(self) -> bool | None:
        """True when the change is for the better, None when it cannot be told."""
        if self.delta is None or self.delta == 0:
            return None
        return (self.delta > 0) == self.higher_is_better


class ReportComparison(Record):
    """What changed between two reports (old -> new); positive deltas are improvements."""

    old_id: str
    new_id: str
    same_eval_set: bool = True
    overall: list[MetricDelta] = Field(default_factory=list)
    classes: list[MetricDelta] = Field(default_factory=list)
    slices: list[MetricDelta] = Field(default_factory=list)
    text: str = ""
