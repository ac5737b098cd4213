"""What the LLM is asked to write: small, flat models with short lists and enums, so a
1.5B model can fill them under a JSON-schema grammar. Code turns them into tools.models
values (see convert.py) and repairs what it safely can."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, create_model

Appears = Literal["person", "worn_on_head", "worn_on_body", "held", "standalone"]
Severity = Literal["low", "medium", "high"]
Kind = Literal["compliant", "violating", "hard_negative", "edge_case"]
Frequency = Literal["common", "uncommon", "rare"]


class DraftClass(BaseModel):
    """A visible thing a detector can box."""

    name: str = Field(max_length=60, description="snake_case name of a visible object, e.g. hard_hat")
    appears: Appears = Field(description="where it is seen: on a person's head, body, in hand, alone, or a person")
    description: str = Field(default="", max_length=200, description="what it looks like, a few words")


class DraftRule(BaseModel):
    """One requirement, in one sentence."""

    text: str = Field(min_length=1, max_length=300)
    classes: list[str] = Field(default_factory=list, max_length=4, description="class names it concerns")
    severity: Severity = "medium"
    violating: str = Field(default="", max_length=200, description="what a violation looks like")


class PolicyDraft(BaseModel):
    """A compliance policy as the model drafts it."""

    title: str = Field(min_length=1, max_length=120)
    task: Literal["detection", "classification"] = "detection"
    context: str = Field(default="", max_length=300, description="camera and scene, one sentence")
    classes: list[DraftClass] = Field(min_length=1, max_length=8)
    rules: list[DraftRule] = Field(min_length=1, max_length=5)
    hard_cases: list[str] = Field(default_factory=list, max_length=4)


class ShownClass(BaseModel):
    name: str = Field(max_length=60)
    count: int = Field(default=1, ge=0, le=3)


class DraftScenario(BaseModel):
    """One situation to make images of."""

    rule: str = Field(max_length=20, description="rule id, e.g. R1")
    kind: Kind
    description: str = Field(min_length=1, max_length=200)
    shows: list[ShownClass] = Field(default_factory=list, max_length=6)
    frequency: Frequency = "common"
    risk: Severity = "medium"
    violation: bool = Field(default=False, description="true when the image shows a violation")


class ScenarioList(BaseModel):
    scenarios: list[DraftScenario] = Field(min_length=1, max_length=12)


class DraftAxis(BaseModel):
    """A condition that changes how images look."""

    name: str = Field(max_length=40, description="snake_case, e.g. lighting")
    values: list[str] = Field(min_length=1, max_length=8)
    fairness: bool = False


class AxisList(BaseModel):
    axes: list[DraftAxis] = Field(min_length=1, max_length=6)


class ScenarioWording(BaseModel):
    """How the model words one scenario that code computed."""

    description: str = Field(min_length=1, max_length=120,
                             description="the scene in at most 12 words: who, where, what is "
                             "worn or missing")
    frequency: Frequency = Field(description="how often it happens in reality")


@cache
def wording_schema(n: int) -> type[BaseModel]:
    """`{"k1": ScenarioWording, ..., "kn": ScenarioWording}`: one wording per scenario code
    listed, under its key, all required (an answer cannot slide onto the next scenario)."""
    fields = {wording_key(i): (ScenarioWording, ...) for i in range(1, n + 1)}
    return create_model(f"ScenarioWordings{n}", **fields)


def wording_key(i: int) -> str:
    return f"k{i}"
