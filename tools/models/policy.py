"""The compliance policy: classes, rules, scenarios and variable axes.

A policy version is one immutable document; its scenarios and axes travel with it so an
export/import/diff covers the whole design a reviewer approves.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import SNAKE_CASE, Record

TaskType = Literal["detection", "classification"]
Appearance = Literal["worn_on_head", "worn_on_body", "held", "standalone", "person"]
Severity = Literal["low", "medium", "high"]
ScenarioKind = Literal["compliant", "violating", "hard_negative", "edge_case"]


def _check_snake(name: str, what: str) -> str:
    if not SNAKE_CASE.match(name):
        raise ValueError(
            f"{what} {name!r} must be snake_case (lowercase letters, digits and single underscores, "
            "starting with a letter), e.g. 'hard_hat'"
        )
    return name


class ObjectClass(Record):
    """Something a camera can see and a detector can box."""

    name: str = Field(max_length=48, description="snake_case class name, e.g. hard_hat")
    description: str = Field(default="", max_length=300, description="one-line visual description")
    appears: Appearance = Field(default="standalone", description="where it appears in a scene")

    @field_validator("name")
    @classmethod
    def _snake(cls, v: str) -> str:
        return _check_snake(v, "class name")


class Rule(Record):
    """One requirement of the policy."""

    id: str = Field(max_length=32, description="short id, e.g. R1")
    text: str = Field(min_length=1, max_length=500)
    severity: Severity = "medium"
    classes: list[str] = Field(default_factory=list, description="class names the rule concerns")
    compliant: str = Field(default="", max_length=400, description="what compliance looks like")
    violating: str = Field(default="", max_length=400, description="what a violation looks like")

    _hash_exclude = frozenset()

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c in "_-" for c in v):
            raise ValueError(f"rule id {v!r} may only hold letters, digits, '_' and '-'")
        return v


class ClassCount(Record):
    name: str
    count: int = Field(default=1, ge=0, le=20)


class Scenario(Record):
    """A situation to generate images of, derived from one rule."""

    id: str = Field(max_length=64, description="snake_case id, unique within the policy")
    rule_id: str | None = None
    kind: ScenarioKind
    description: str = Field(default="", max_length=400)
    classes: list[ClassCount] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0, le=100, description="relative generation frequency")
    risk: Severity = "medium"
    label: str | None = Field(
        default=None, description="image label for classification policies (defaults to kind)"
    )

    _hash_exclude = frozenset()

    @field_validator("id")
    @classmethod
    def _snake(cls, v: str) -> str:
        return _check_snake(v, "scenario id")


class AxisValue(Record):
    value: str = Field(min_length=1, max_length=64)
    weight: float = Field(default=1.0, gt=0, le=100)


class VariableAxis(Record):
    """A prompt variable (lighting, weather, skin tone...) with weighted values."""

    name: str = Field(max_length=48)
    values: list[AxisValue] = Field(default_factory=list)
    fairness: bool = Field(default=False, description="matters for fairness reporting")

    @field_validator("name")
    @classmethod
    def _snake(cls, v: str) -> str:
        return _check_snake(v, "axis name")

    def value_names(self) -> list[str]:
        return [v.value for v in self.values]


class Policy(Record):
    """A versioned compliance policy; `version` and `parent_version` are set by the store."""

    title: str = Field(min_length=1, max_length=200)
    goal: str = Field(default="", max_length=2000)
    context: str = Field(default="", max_length=1000, description="camera placement, who is in view")
    task: TaskType = "detection"
    classes: list[ObjectClass] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    hard_cases: list[str] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)
    axes: list[VariableAxis] = Field(default_factory=list)
    version: int | None = None
    parent_version: int | None = None

    _hash_exclude = frozenset({"version", "parent_version"})

    @model_validator(mode="after")
    def _unique_names(self) -> Policy:
        for what, names in (
            ("class", [c.name for c in self.classes]),
            ("rule id", [r.id for r in self.rules]),
            ("scenario id", [s.id for s in self.scenarios]),
            ("axis", [a.name for a in self.axes]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {what} name(s): {', '.join(dupes)}")
        return self

    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def get_class(self, name: str) -> ObjectClass | None:
        return next((c for c in self.classes if c.name == name), None)

    def get_axis(self, name: str) -> VariableAxis | None:
        return next((a for a in self.axes if a.name == name), None)

    def get_scenario(self, sid: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == sid), None)
