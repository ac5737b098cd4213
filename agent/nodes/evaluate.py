"""evaluate: the misclassification report on the holdout, one history row per iteration,
and the weakness analysis of that report (candidates for the next plan, data-insensitive
slices, and what the previous plan's targets did)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.models import LoopIteration

from ..context import LoopContext
from ..metrics import headline
from ..planning.weakness_step import analyse_iteration
from ..state import HistoryRow, LoopState, history_rows
from .common import settings_of, stage


def evaluate(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    it = state.get("iteration", 0)
    run = ws.get_train_run(state["train_run_id"])
    ds = ws.get_dataset(state["dataset_id"])
    stage(runtime, "evaluating on the holdout")
    report = evaluate_model(ws, run, dataset=ds, progress=runtime.context.progress)
    h = headline(report)
    row = HistoryRow(iteration=it, images_added=state.get("spec_count", 0),
                     train_images=ds.count("train"), report_id=report.id, **h,
                     plan_source=(state.get("plan") or {}).get("source", "") if it else "initial set")
    history = [r for r in history_rows(state) if r.iteration != it] + [row]
    prev = state.get("report_id")
    prev_report = ws.get_report(prev) if it and prev and prev != report.id else None
    weakness = analyse_iteration(
        ws, ws.get_policy(state["policy_version"]), report, iteration=it,
        history=state.get("weakness_history", []), imgsz=settings_of(state).training.imgsz,
        prev_plan=state.get("plan") if it else None, prev_report=prev_report)
    ws.save_iteration(LoopIteration(
        thread_id=state["thread_id"], number=it, policy_version=state["policy_version"],
        plan=(state.get("plan") or {}) if it else {}, plan_source=(state.get("plan") or {}).get("source", "initial") if it else "initial",
        images_added=state.get("spec_count", 0), added_per_slice=state.get("added_per_slice", {}),
        dataset_id=ds.id, train_run_id=run.id, report_id=report.id,
        metrics={k: v for k, v in h.items() if isinstance(v, float)},
        analysis=weakness["analysis"], plan_outcomes=weakness["plan_outcomes"]))
    runtime.context.console.print(
        f"iteration {it}: {h['overall_name']} {h['overall']:.3f}, worst class {h['worst_class']} "
        f"recall {h['worst_class_recall']:.2f}, weakest slice {h['top_slice']} recall "
        f"{h['top_slice_recall']:.2f}")
    show_outcomes(runtime.context.console, weakness["plan_outcomes"])
    return {"report_id": report.id, "prev_report_id": prev if prev != report.id else state.get("prev_report_id", ""),
            "history": [r.model_dump() for r in history], **weakness}


def show_outcomes(console, outcomes: list[dict[str, Any]]) -> None:
    """What each target of the previous plan did: recall before -> after."""
    for o in outcomes:
        if o["before"] is not None and o["after"] is not None:
            console.print(f"  target {o['key']} ({o['images']} images, {o['purpose']}): recall "
                          f"{o['before']:.2f} → {o['after']:.2f}")
