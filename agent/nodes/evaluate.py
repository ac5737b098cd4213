"""evaluate: the misclassification report on the holdout, one history row per iteration."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.models import LoopIteration

from ..context import LoopContext
from ..metrics import headline
from .common import ctx_of, stage


def evaluate(state: dict[str, Any], runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = ctx_of(runtime).workspace
    it = state.get("iteration", 0)
    run = ws.get_train_run(state["train_run_id"])
    ds = ws.get_dataset(state["dataset_id"])
    stage(runtime, "evaluating on the holdout")
    report = evaluate_model(ws, run, dataset=ds, progress=ctx_of(runtime).progress)
    h = headline(report)
    row = {"iteration": it, "images_added": state.get("spec_count", 0),
           "train_images": ds.count("train"), "report_id": report.id, **h}
    history = [r for r in state.get("history", []) if r["iteration"] != it] + [row]
    ws.save_iteration(LoopIteration(
        thread_id=state["thread_id"], number=it, policy_version=state["policy_version"],
        plan=(state.get("plan") or {}) if it else {}, plan_source=(state.get("plan") or {}).get("source", "initial") if it else "initial",
        images_added=state.get("spec_count", 0), added_per_slice=state.get("added_per_slice", {}),
        dataset_id=ds.id, train_run_id=run.id, report_id=report.id,
        metrics={k: v for k, v in h.items() if isinstance(v, float)}))
    ctx_of(runtime).console.print(
        f"iteration {it}: {h['overall_name']} {h['overall']:.3f}, worst class {h['worst_class']} "
        f"recall {h['worst_class_recall']:.2f}, weakest slice {h['top_slice']} recall "
        f"{h['top_slice_recall']:.2f}")
    prev = state.get("report_id")
    return {"report_id": report.id, "prev_report_id": prev if prev != report.id else state.get("prev_report_id", ""),
            "history": history}
