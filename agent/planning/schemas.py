"""The planner's structured decision: which slices are weak and what to generate for them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SliceTarget(BaseModel):
    """One weak slice and the images to add for it.

    `axis` is a variable axis name, "scenario" (value = scenario id) or "class" (value =
    class name). `cls` narrows an axis slice to one class ("lighting=night × hard_hat").
    """

    model_config = ConfigDict(extra="ignore")

    axis: str = Field(description="variable axis name, or 'scenario', or 'class'")
    value: str = Field(description="the axis value, scenario id or class name")
    cls: str | None = Field(default=None, description="class the weakness concerns, if any")
    hypothesis: str = Field(default="", max_length=300, description="why this slice is weak")
    count: int = Field(ge=0, le=100000, description="how many new images to generate")


class TargetedPlan(BaseModel):
    """What the LLM proposes for the next iteration."""

    model_config = ConfigDict(extra="ignore")

    rationale: str = Field(default="", max_length=1000)
    targets: list[SliceTarget] = Field(default_factory=list, max_length=12)


class ValidatedPlan(BaseModel):
    """A plan after code checked it: what will actually be generated, and why."""

    source: str = Field(description="'llm', or 'fallback: <reason>'")
    rationale: str = ""
    targets: list[SliceTarget]
    floor: int = Field(default=0, description="images spread over all scenarios (class floor)")
    dropped: list[str] = Field(default_factory=list, description="LLM targets refused and why")
    adjusted: list[str] = Field(default_factory=list,
                                description="LLM targets code read differently, and how")
    budget: int = 0

    def total(self) -> int:
        return self.floor + sum(t.count for t in self.targets)
