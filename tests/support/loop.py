"""Tiny loop settings, a quiet loop context and a planted evaluation for the loop tests
(the design replies they script are in llm_replies)."""

from __future__ import annotations

from rich.console import Console

from synthloop.agent.context import LoopContext, RunSettings
from synthloop.tools.config import GeneratorConfig, TrainingConfig
from synthloop.tools.evaluate import Prediction, build_report
from synthloop.tools.models import EvalSetInfo


def tiny_settings(**kw) -> RunSettings:
    base = dict(iterations=1, initial_images=24, images_per_iteration=12, holdout_images=24,
                val_images=8, auto_approve=True, planner="llm", min_per_slice=2,
                generator=GeneratorConfig(width=96, height=96, workers=1),
                training=TrainingConfig(epochs=1, imgsz=64, batch=8))
    base.update(kw)
    return RunSettings(**base)


def quiet_context(ws, llm) -> LoopContext:
    return LoopContext(workspace=ws, llm=llm, console=Console(quiet=True), progress=False)


def planted_evaluate(weak_value: str = "night", weak_cls: str = "hard_hat"):
    """An evaluate_model stand-in: perfect predictions except that every `weak_cls` object
    in images with lighting=`weak_value` is missed. The report is built by the real code."""
    def evaluate_model(ws, run, *, dataset=None, **_):
        ds = dataset or ws.get_dataset(run.dataset_id)
        samples = ws.get_samples(ds.splits["test"])
        preds = {s.id: [Prediction(a.cls, 0.9, a.box) for a in s.annotations
                        if not (a.cls == weak_cls and s.variables.get("lighting") == weak_value)]
                 for s in samples}
        report = build_report(samples, preds, ds.class_names, train_run_id=run.id,
                              dataset_id=ds.id,
                              eval_set=EvalSetInfo(kind="synthetic", n_images=len(samples)))
        return ws.save_report(report)
    return evaluate_model
