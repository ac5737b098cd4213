"""The chat session's structured turn: a reply and at most one action from a fixed set."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActionKind = Literal["show_policy", "show_scenarios", "show_report", "show_worst_slices",
                     "show_samples", "add_scenario", "generate_more", "run_iteration",
                     "approve_policy", "show_quarantine", "release_sample", "confirm_sample"]
ScenarioKindArg = Literal["compliant", "violating", "hard_negative", "edge_case"]

# Actions that spend compute ask the user before they run.
COSTLY: frozenset[str] = frozenset({"generate_more", "run_iteration"})


class ChatAction(BaseModel):
    """One action with typed arguments; which ones matter depends on `kind`."""

    model_config = ConfigDict(extra="ignore")

    kind: ActionKind
    axis: str | None = Field(default=None, description="variable axis, 'scenario' or 'class'")
    value: str | None = Field(default=None, max_length=64)
    cls: str | None = Field(default=None, max_length=48)
    count: int | None = Field(default=None, ge=1, le=5000)
    scenario_kind: ScenarioKindArg | None = None
    description: str | None = Field(default=None, max_length=300)


class ChatTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reply: str = Field(max_length=2000)
    action: ChatAction | None = None
