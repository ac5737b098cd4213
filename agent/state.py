"""The loop's state: small, JSON-friendly, ids into the workspace store (never images).

Every field says which node writes it. LangGraph checkpoints this after every node, so it
must stay small: reports, samples and policies live in the store and are read by id.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic (Studio's schema pages) refuses typing's


class LoopInput(TypedDict, total=False):
    """What a caller passes to start a run."""

    goal: str
    """The compliance goal in the user's words."""
    settings: dict[str, Any]
    """RunSettings.model_dump(): the resolved settings, stored with the run."""


class LoopState(LoopInput, total=False):
    thread_id: str
    """Set by `start`: the run's id (also the checkpointer thread)."""
    started_at: float
    """Set by `start`: wall-clock start (time.time()) for the wall-clock guardrail."""
    policy_version: int
    """Written by draft (drafted), review (edited) and design (scenarios + axes added)."""
    lint: list[str]
    """Written by draft: lint findings left after the critic pass, as text."""
    feedback: str
    """Written by review on reject: the reviewer's comment, read by draft."""
    review: dict[str, Any]
    """Written by review: {"decision": approved|auto-approved|edited|rejected, "comment"}."""
    iteration: int
    """Loop iteration; 0 is the initial dataset. Advanced by guardrails."""
    spec_count: int
    """Written by specs: how many specs this iteration asked for."""
    added_per_slice: dict[str, int]
    """Written by specs: planned images per target slice this iteration."""
    generation: dict[str, Any]
    """Written by generate: counts of the last generation (generated, skipped, dropped...)."""
    verification: dict[str, Any]
    """Written by verify: what the previous model checked and flagged, or why it did not."""
    dataset_id: str
    """Written by dataset."""
    train_run_id: str
    """Written by train."""
    report_id: str
    """Written by evaluate."""
    prev_report_id: str
    """Written by evaluate: the previous iteration's report, for comparisons."""
    summary: str
    """Written by analyse: the compact Markdown the planner reads."""
    analysis: dict[str, Any]
    """Written by evaluate: the WeaknessAnalysis of the latest report (candidates, notes)."""
    weakness_history: list[dict[str, Any]]
    """Written by evaluate: one HistoryPoint per iteration (slice recalls, training counts)."""
    plan_outcomes: list[dict[str, Any]]
    """Written by evaluate: each previous target's recall before and after its images."""
    plan: dict[str, Any]
    """Written by plan: the ValidatedPlan as a dict."""
    history: list[dict[str, Any]]
    """Written by evaluate: one `HistoryRow` (as a dict) per iteration; read with
    `history_rows(state)`."""
    next_budget: int
    """Written by guardrails: images the next iteration may add."""
    stop_reason: str
    """Written by guardrails or finish: why the loop stopped."""
    report_page: str
    """Written by finish: path of the final HTML report page."""


class LoopOutput(TypedDict, total=False):
    """What a run returns (the graph's output schema): where it ended and what it made."""

    thread_id: str
    goal: str
    policy_version: int
    iteration: int
    dataset_id: str
    train_run_id: str
    report_id: str
    history: list[dict[str, Any]]
    stop_reason: str
    report_page: str


class HistoryRow(BaseModel):
    """One iteration of a run as the summary table, the guardrails and the report read it;
    the stored `LoopIteration` record holds the full plan and analysis beside it."""

    model_config = ConfigDict(extra="forbid")

    iteration: int = Field(ge=0)
    images_added: int = Field(ge=0, description="images this iteration asked for")
    train_images: int = Field(ge=0)
    report_id: str
    plan_source: str = Field(description="'initial set', or who made the plan and how")
    overall_name: str = Field(description="map50 (detection) or accuracy (classification)")
    overall: float
    worst_class: str
    worst_class_recall: float
    worst_slice: str
    worst_slice_recall: float
    worst5_slice_recall: float
    top_slice: str
    top_slice_recall: float


def history_rows(state: LoopState | dict[str, Any]) -> list[HistoryRow]:
    """The run's history rows, typed, in iteration order."""
    rows = [HistoryRow.model_validate(r) for r in state.get("history") or []]
    return sorted(rows, key=lambda r: r.iteration)
