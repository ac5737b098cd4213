"""The loop's state: small, JSON-friendly, ids into the workspace store (never images).

Every field says which node writes it. LangGraph checkpoints this after every node, so it
must stay small: reports, samples and policies live in the store and are read by id.
"""

from __future__ import annotations

from typing import Any, TypedDict


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
    """Written by evaluate: one row per iteration (images, metrics, worst class/slice)."""
    next_budget: int
    """Written by guardrails: images the next iteration may add."""
    stop_reason: str
    """Written by guardrails or finish: why the loop stopped."""
    report_page: str
    """Written by finish: path of the final HTML report page."""
