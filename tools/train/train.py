"""train_model: Ultralytics YOLO on a dataset version, offline, idempotent and resumable.

The run id hashes the dataset id and the resolved settings (TrainRun), so training the
same data the same way again returns the finished run instead of training it twice. Files
live under <workspace>/runs/<run id>/ (weights/last.pt, weights/best.pt, results.csv);
the TrainRun row is updated after every epoch, so an interrupted run shows how far it got
and `resume=True` continues from its last.pt.

Class weights: Ultralytics 8.4 has `cls_pw` (inverse class frequency raised to a power in
[0, 1], detection only). `class_weights` takes that power as a float, or a mapping of class
name -> weight, applied to the detection classification loss through a trainer subclass.
Its classification loss takes no weights, so class weights on a classification dataset are
refused with a clear error rather than silently ignored.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..config import TrainingConfig
from ..errors import ExternalError, NotFound, SynthloopError, ValidationError, storage_error
from ..models import DatasetVersion, TrainRun
from .device import is_out_of_memory, out_of_memory_error, resolve_device, use_cpu_threads
from .export import exported_dataset
from .progress import EpochHook, EpochRecorder
from .yolo import load_model, offline_amp_check, resolve_model_source, ultralytics_to_log

if TYPE_CHECKING:
    from ..store import Workspace

log = logging.getLogger("synthloop.train")

ClassWeights = float | Mapping[str, float] | None


def _normalise_class_weights(cw: ClassWeights, ds: DatasetVersion) -> float | dict[str, float] | None:
    if cw is None:
        return None
    if ds.task != "detection":
        raise ValidationError(
            "class weights are only supported for detection: Ultralytics' classification loss "
            "takes no class weights", "train without class weights, or add images of the weak classes")
    if isinstance(cw, int | float):
        if not 0.0 <= float(cw) <= 1.0:
            raise ValidationError(f"class weight power {cw} must lie in [0, 1]",
                                  "0 turns weighting off, 1 is full inverse class frequency")
        return float(cw) or None
    unknown = sorted(set(cw) - set(ds.class_names))
    if unknown:
        raise ValidationError(f"class weights name unknown classes {unknown}",
                              f"use the dataset's classes: {', '.join(ds.class_names)}")
    bad = {k: v for k, v in cw.items() if not v > 0}
    if bad:
        raise ValidationError(f"class weights must be > 0, got {bad}", "use positive weights")
    return {name: float(cw.get(name, 1.0)) for name in ds.class_names}


def _weighted_trainer(weights: list[float]) -> type:
    """A DetectionTrainer that sets fixed per-class loss weights (mean 1)."""
    import torch
    from ultralytics.models.yolo.detect import DetectionTrainer
    from ultralytics.utils.torch_utils import unwrap_model

    mean = sum(weights) / len(weights)

    class FixedWeightsTrainer(DetectionTrainer):
        def set_class_weights(self) -> None:
            unwrap_model(self.model).class_weights = torch.tensor(
                [w / mean for w in weights], dtype=torch.float32, device=self.device)

    return FixedWeightsTrainer


def _rel(ws: Workspace, path) -> str:
    return str(path.relative_to(ws.root))


def _find_run(ws: Workspace, run_id: str) -> TrainRun | None:
    try:
        return ws.get_train_run(run_id)
    except NotFound:
        return None


def train_model(ws: Workspace, ds: DatasetVersion, config: TrainingConfig, *,
                iteration: int | None = None, progress: bool = True, resume: bool = False,
                class_weights: ClassWeights = None, on_epoch: EpochHook | None = None,
                should_stop: Callable[[], bool] | None = None) -> TrainRun:
    """Train YOLO on `ds` with `config`; return the finished TrainRun (stored).

    A finished run with the same id is returned as it is. `resume=True` continues an
    interrupted or failed run from its last.pt (otherwise such a run starts over).
    `on_epoch(epoch, metrics)` is called after each epoch's checkpoint is saved; raising
    KeyboardInterrupt from it stops training like Ctrl-C. `should_stop()` is asked after
    every training batch; True stops training like Ctrl-C (a server cancelling the run
    stops it within a batch, not at the end of a long epoch). On Ctrl-C the run is stored as
    'interrupted' and KeyboardInterrupt propagates; on an error it is stored as 'failed'
    with the error, and the last checkpoint is kept in both cases.
    """
    if ds.count("train") == 0:
        raise ValidationError(f"dataset {ds.id} has no training images",
                              "generate samples and build a dataset version first")
    source = resolve_model_source(ws.root, config.model, ds.task)
    cw = _normalise_class_weights(class_weights, ds)
    settings: dict[str, Any] = {**config.model_dump(mode="json"), "model": source.name}
    if source.sha256:
        settings["model_sha256"] = source.sha256
    if cw is not None:
        settings["class_weights"] = cw
    run = TrainRun(dataset_id=ds.id, task=ds.task, config=settings, iteration=iteration)
    existing = _find_run(ws, run.id)
    run_dir = ws.root / "runs" / run.id
    if existing and existing.status == "finished" and existing.weights \
            and (ws.root / existing.weights).is_file():
        log.info("run %s already finished; not training it again", run.id)
        return existing
    last_pt = run_dir / "weights" / "last.pt"
    resuming = bool(resume and existing and existing.status != "finished" and last_pt.is_file())
    if resume and not resuming:
        log.info("run %s has no checkpoint to resume; training from the start", run.id)
    if not resuming and run_dir.exists():
        shutil.rmtree(run_dir)
    device = resolve_device(config.device)
    if device == "cpu":
        use_cpu_threads(config.threads)
    data = exported_dataset(ws, ds, progress=progress)
    if resuming:
        run = run.model_copy(update={"epochs": existing.epochs, "wall_time_s": existing.wall_time_s,
                                     "iteration": iteration if iteration is not None else existing.iteration})
    run = ws.save_train_run(run.model_copy(update={"status": "running", "error": None}))
    return _run_training(ws, run, ds, config, source, data, device, cw, resuming, progress,
                         on_epoch, should_stop)


def _stop_hook(should_stop: Callable[[], bool]) -> Callable[[Any], None]:
    def check(_trainer) -> None:
        if should_stop():
            raise KeyboardInterrupt("training stopped: the run was cancelled")
    return check


def _train_args(run: TrainRun, config: TrainingConfig, data, device: str,
                cw: float | dict | None, ws: Workspace) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        data=str(data), epochs=config.epochs, imgsz=config.imgsz, batch=config.batch,
        lr0=config.lr0, optimizer=config.optimizer, cos_lr=config.cos_lr,
        warmup_epochs=config.warmup_epochs, nbs=config.nominal_batch,
        **({"auto_augment": config.auto_augment, "erasing": config.erasing}
           if run.task == "classification" else {}),
        patience=config.patience, device=device, workers=config.workers,
        seed=config.seed, amp=device != "cpu", plots=False, verbose=False,
        project=str(ws.root / "runs"), name=run.id, exist_ok=True,
    )
    if isinstance(cw, float):
        args["cls_pw"] = cw
    return args


def _run_training(ws: Workspace, run: TrainRun, ds: DatasetVersion, config: TrainingConfig,
                  source, data, device: str, cw, resuming: bool, progress: bool,
                  on_epoch: EpochHook | None,
                  should_stop: Callable[[], bool] | None = None) -> TrainRun:
    run_dir = ws.root / "runs" / run.id
    t0 = time.perf_counter()
    prior_wall = run.wall_time_s
    state = {"run": run}

    def save(epochs: list[dict[str, float]]) -> None:
        last = run_dir / "weights" / "last.pt"
        state["run"] = ws.save_train_run(state["run"].model_copy(update={
            "epochs": list(epochs), "last": _rel(ws, last) if last.is_file() else None,
            "wall_time_s": round(prior_wall + time.perf_counter() - t0, 3)}))

    def finish(status: str, error: str | None = None) -> TrainRun:
        best, last = run_dir / "weights" / "best.pt", run_dir / "weights" / "last.pt"
        weights = best if best.is_file() else last if last.is_file() else None
        state["run"] = ws.save_train_run(state["run"].model_copy(update={
            "status": status, "error": error,
            "weights": _rel(ws, weights) if weights and status == "finished" else state["run"].weights,
            "last": _rel(ws, last) if last.is_file() else None,
            "wall_time_s": round(prior_wall + time.perf_counter() - t0, 3)}))
        return state["run"]

    def failed(status: str, error: str) -> None:
        """Record the failure; if even that fails (a full disk fails the database too),
        the original error still propagates, and the next writer marks the run interrupted."""
        try:
            finish(status, error)
        except Exception:
            log.exception("could not record training run %s as %s", run.id, status)

    title = f"training {run.id[:8]} ({'resumed' if resuming else source.name}, {device})"
    try:
        trainer_cls = _weighted_trainer([cw[c] for c in ds.class_names]) \
            if isinstance(cw, dict) else None
        with ultralytics_to_log(ws.log_path, ws_root=ws.root), offline_amp_check(), EpochRecorder(
                total_epochs=config.epochs, start_epochs=run.epochs, save=save, show=progress,
                hook=on_epoch, title=title) as rec:
            if resuming:
                model = load_model(ws.root, str(run_dir / "weights" / "last.pt"), ds.task)
            else:
                model = load_model(ws.root, source, ds.task)
            model.add_callback("on_train_epoch_start", rec.on_train_epoch_start)
            model.add_callback("on_fit_epoch_end", rec.on_fit_epoch_end)
            if should_stop is not None:
                model.add_callback("on_train_batch_end", _stop_hook(should_stop))
            args = _train_args(run, config, data, device, cw, ws)
            if resuming:
                args = {"resume": True, "data": args["data"], "device": device,
                        "workers": config.workers}
            model.train(trainer=trainer_cls, **args)
    except KeyboardInterrupt:
        failed("interrupted", "interrupted by the user")
        log.warning("training run %s interrupted; continue it with resume", run.id)
        raise
    except SynthloopError as e:
        failed("failed", e.one_line())
        raise
    except Exception as e:
        disk = storage_error(e)
        if disk is not None:  # the user's disk (full, read-only): say so, exit 2
            failed("failed", disk.one_line())
            raise disk from e
        if is_out_of_memory(e):
            err = out_of_memory_error(config.batch, config.imgsz, device)
            failed("failed", err.one_line())
            raise err from e
        failed("failed", f"{type(e).__name__}: {e}")
        raise ExternalError(f"training run {run.id} failed: {type(e).__name__}: {e}",
                            f"details are in {ws.log_path}; an interrupted run can be "
                            "continued with --resume") from e
    except BaseException as e:  # SystemExit and the like: never leave the run `running`
        failed("interrupted", f"stopped by {type(e).__name__}")
        raise
    if rec.final and rec.epochs:  # the final validation of best.pt, kept beside the last epoch
        best = {f"best/{k}": v for k, v in rec.final.items() if not k.startswith(("train/", "lr/"))}
        state["run"] = state["run"].model_copy(
            update={"epochs": [*rec.epochs[:-1], {**rec.epochs[-1], **best}]})
    run = finish("finished")
    if not run.weights:
        run = finish("failed", "training ended without a checkpoint")
        raise ExternalError(f"training run {run.id} ended without writing weights",
                            f"see {ws.log_path}")
    return run
