"""The end-of-run summary says, per iteration, who planned it (issue 14, item 10): a dead
LLM planner's fallback and its reason are visible, not a truncated header line."""

from __future__ import annotations

from rich.console import Console

from synthloop.agent.cli.loop_view import summary_table
from synthloop.agent.state import HistoryRow


def _row(it, source):
    return HistoryRow(iteration=it, images_added=100, train_images=300, report_id=f"r{it}",
                      overall_name="map50", overall=0.5, worst_class="hard_hat",
                      worst_class_recall=0.2, worst_slice="lighting=night × hard_hat",
                      worst_slice_recall=0.1, worst5_slice_recall=0.15,
                      top_slice="lighting=night × hard_hat", top_slice_recall=0.1,
                      plan_source=source)


def test_the_summary_names_the_planner_and_the_fallback_reason():
    console = Console(record=True, width=200)
    console.print(summary_table([
        _row(0, "initial set"), _row(1, "llm"),
        _row(2, "fallback: LLM failed: LLMUnavailable: connection refused")]))
    text = console.export_text()
    assert "planned by" in text and "initial set" in text
    assert "fallback: LLM failed: LLMUnavailable: connection refused" in text
