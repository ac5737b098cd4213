"""evaluate_model: run a finished training run on the eval split and store the report.

The eval split is the dataset's holdout ('test' unless asked otherwise): real images when
the dataset's holdout is 'real', else the synthetic holdout; the report's EvalSetInfo says
which. The numbers come from `build_report` (pure) on the model's predictions, plus
per-class mAP from Ultralytics' validator for detection.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import ExternalError, NotFound, SynthloopError, ValidationError
from ..models import DatasetVersion, EvalSetInfo, MisclassificationReport, TrainRun
from ..train.device import resolve_device, use_cpu_threads
from ..train.export import exported_dataset
from ..train.yolo import load_model, ultralytics_to_log
from .build import build_report
from .predict import predict_samples, validate_map

if TYPE_CHECKING:
    from ..store import Workspace

log = logging.getLogger("synthloop.evaluate")


def _weights(ws: Workspace, run: TrainRun):
    if run.status != "finished" or not run.weights:
        raise ValidationError(f"training run {run.id} is {run.status}, not finished",
                              "finish it first: synthloop train --resume")
    path = ws.path(run.weights)
    if not path.is_file():
        raise NotFound(f"weights {run.weights} of run {run.id} are missing",
                       "train the run again (the finished row points at a deleted file)")
    return path


def _export_names(ds: DatasetVersion) -> dict[str, str]:
    """Export name -> class name: the classification export names folders with safe names."""
    from ..dataset.files import safe_names

    return dict(zip(safe_names(ds.class_names), ds.class_names, strict=True))


def evaluate_model(ws: Workspace, run: TrainRun, *, dataset: DatasetVersion | None = None,
                   split: str = "test", conf: float = 0.25, iou: float = 0.5,
                   progress: bool = True, device: str | None = None) -> MisclassificationReport:
    """Evaluate `run` on `split` of `dataset` (default: the run's own dataset version) and
    store the MisclassificationReport. `device` defaults to auto (CUDA when present).
    Raises ValidationError for an empty eval split or an unfinished run."""
    if not 0 < iou <= 1 or not 0 <= conf < 1:
        raise ValidationError(f"iou={iou} and conf={conf} must lie in (0, 1] and [0, 1)",
                              "the defaults are iou=0.5, conf=0.25")
    ds = dataset or ws.get_dataset(run.dataset_id)
    if ds.task != run.task:
        raise ValidationError(f"run {run.id} is a {run.task} model but dataset {ds.id} is for "
                              f"{ds.task}", "evaluate on a dataset of the same task")
    ids = ds.splits.get(split, [])
    if not ids:
        raise ValidationError(f"the eval split {split!r} of dataset {ds.id} is empty",
                              "generate holdout images (split test) and build a new dataset version")
    weights = _weights(ws, run)
    samples = ws.get_samples(ids)
    dev = resolve_device(device or "auto")  # not the run's: it may have trained elsewhere
    if dev == "cpu":
        use_cpu_threads(int(run.config.get("threads", 0)))
    imgsz = int(run.config.get("imgsz", 224))
    batch = int(run.config.get("batch", 16))
    eval_set = EvalSetInfo(
        kind=ds.holdout, n_images=len(samples), dataset_id=ds.id, split=split,
        n_objects=sum(len(s.annotations) for s in samples) if ds.task == "detection" else 0)
    maps = None
    try:
        with ultralytics_to_log(ws.log_path, ws_root=ws.root):
            model = load_model(ws.root, str(weights), ds.task)
            preds, rate = predict_samples(model, ws.root, samples, conf=conf, imgsz=imgsz,
                                          device=dev, batch=batch, progress=progress,
                                          rename=_export_names(ds))
            if ds.task == "detection" and split in ("train", "val", "test"):
                maps = validate_map(model, exported_dataset(ws, ds), split, imgsz=imgsz,
                                    device=dev, batch=batch, project=weights.parent.parent)
    except SynthloopError:
        raise
    except Exception as e:
        raise ExternalError(f"evaluating run {run.id} failed: {type(e).__name__}: {e}",
                            f"details are in {ws.log_path}") from e
    log.info("evaluated %d images at %.1f images/s", len(samples), rate)
    report = build_report(
        samples, preds, ds.class_names, task=ds.task, iou_threshold=iou, conf_threshold=conf,
        eval_set=eval_set, map_per_class=maps, train_run_id=run.id, dataset_id=ds.id,
        model=run.weights or "")
    return ws.save_report(report)
