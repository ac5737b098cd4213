"""Domain models (pydantic v2) for the values that flow through synthloop."""

from .base import Record, canonical_json, sha256_hex
from .dataset import DatasetVersion, HoldoutKind
from .loop import CachedReply, LLMCall, LoopIteration
from .policy import (
    Appearance,
    AxisValue,
    ClassCount,
    ObjectClass,
    Policy,
    Rule,
    Scenario,
    ScenarioKind,
    Severity,
    TaskType,
    VariableAxis,
)
from .report import (
    ClassMetrics,
    ConfusionMatrix,
    EvalSetInfo,
    ImageResult,
    MisclassificationReport,
    SliceMetrics,
)
from .sample import Annotation, Provenance, Sample, Source
from .spec import Box, GenerationSpec, LayoutBox, Split
from .training import RunStatus, TrainRun
from .verify import FlagStatus, ObjectFlag, SampleFlag, SampleVerdict, Verdict

__all__ = [
    "Annotation", "Appearance", "AxisValue", "Box", "CachedReply", "ClassCount", "ClassMetrics",
    "ConfusionMatrix", "DatasetVersion", "EvalSetInfo", "GenerationSpec", "HoldoutKind",
    "ImageResult", "LLMCall", "LayoutBox", "LoopIteration", "MisclassificationReport",
    "ObjectClass", "Policy", "Provenance", "Record", "Rule", "RunStatus", "Sample", "Scenario",
    "ScenarioKind", "Severity", "SliceMetrics", "Source", "Split", "TaskType", "TrainRun",
    "VariableAxis", "canonical_json", "sha256_hex",
    "FlagStatus", "ObjectFlag", "SampleFlag", "SampleVerdict", "Verdict",
]
