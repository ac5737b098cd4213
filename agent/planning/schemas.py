"""A plan's targets (what to generate for which weakness) and the plan code vouches for."""

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
    hypothesis: str = Field(default="", max_length=400, description="why this slice is weak")
    count: int = Field(ge=0, le=100000, description="how many new images to generate")
    candidate: str | None = Field(default=None, description="the analysis candidate id (C1..)")
    key: str = Field(default="", description="the candidate's slice key, tracked across iterations")
    evidence: str = Field(default="", description="the analysis' numbers behind the target")
    fixed: dict[str, str] = Field(default_factory=dict,
                                  description="variable values every spec of it has (pairs: two)")
    near_miss: list[dict[str, str]] = Field(
        default_factory=list, description="variable combinations of missed eval images, re-used "
        "with new seeds for `near_miss_count` of the images")
    near_miss_count: int = Field(default=0, ge=0)
    purpose: str = Field(default="exploit", description="'exploit' (by expected gain) or "
                         "'explore' (a share kept so no candidate is starved)")

    def slice_key(self) -> str:
        if self.key:
            return self.key
        return f"{self.axis}={self.value}" + (f" × {self.cls}" if self.cls else "")


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
    candidates: list[str] = Field(default_factory=list,
                                  description="the candidate ids the planner could choose from")

    def total(self) -> int:
        return self.floor + sum(t.count for t in self.targets)
