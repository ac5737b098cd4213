"""analyse: the compact, token-bounded summary of the report (and of what changed since
the previous iteration) that the planner reads."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.report import compare_reports, summarize_report

from ..context import LoopContext
from ..state import LoopState
from .common import stage

SUMMARY_TOKENS = 1500


def analyse(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    report = ws.get_report(state["report_id"])
    comparison = None
    if state.get("prev_report_id"):
        comparison = compare_reports(ws.get_report(state["prev_report_id"]), report)
    stage(runtime, "analysing the misclassification report")
    # No per-image failure examples: the planner targets slices, and on the embedded model
    # every prompt token costs time (~300 tokens, ~7 s per plan on 2 cores).
    return {"summary": summarize_report(report, max_tokens=SUMMARY_TOKENS, comparison=comparison,
                                        failure_examples=0)}
