"""finish: state why the loop stopped and write the final report page (compared with the
first iteration's report, so people see what the loop changed)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.analysis import WeaknessAnalysis
from synthloop.tools.report import compare_reports, render_report_html

from ..context import LoopContext
from ..planning.weakness_step import plan_notes
from ..state import LoopState, history_rows
from .common import stage


def finish(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    history = history_rows(state)
    reason = state.get("stop_reason") or "finished"
    report = ws.get_report(state["report_id"])
    first = ws.get_report(history[0].report_id) if history else None
    comparison = compare_reports(first, report) if first and first.id != report.id else None
    stage(runtime, f"done: {reason}")
    analysis = WeaknessAnalysis.model_validate(state["analysis"]) if state.get("analysis") else None
    page = render_report_html(ws, report, comparison=comparison, analysis=analysis,
                              outcomes=state.get("plan_outcomes") or [],
                              plan_notes=plan_notes(state.get("plan")))
    its = ws.list_iterations(state["thread_id"])
    if its:
        ws.save_iteration(its[-1].model_copy(update={"stop_reason": reason}))
    return {"stop_reason": reason, "report_page": str(page)}
