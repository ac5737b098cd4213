"""Per-epoch bookkeeping during training: metrics, the progress display, the stored run.

Ultralytics calls `on_fit_epoch_end` after each epoch (after saving last.pt) and once more
after the final validation of best.pt; the second call is recognised because the trainer
had already decided to stop, and it is kept as the run's final metrics, not an epoch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

log = logging.getLogger("synthloop.train")

EpochHook = Callable[[int, dict[str, float]], None]


def clean_metrics(trainer: Any) -> dict[str, float]:
    """The trainer's numbers for the epoch just ended, with short names: train/<loss>,
    val/<loss>, precision, recall, mAP50, mAP50-95 (detection), accuracy_top1/5
    (classification), lr/pg0..."""
    out: dict[str, float] = {}
    raw: dict[str, Any] = {}
    if getattr(trainer, "tloss", None) is not None:
        try:
            raw.update(trainer.label_loss_items(trainer.tloss, prefix="train"))
        except (TypeError, AttributeError, ValueError):
            pass
    raw.update(getattr(trainer, "metrics", None) or {})
    raw.update(getattr(trainer, "lr", None) or {})
    for k, v in raw.items():
        key = k.replace("metrics/", "").replace("(B)", "")
        try:
            out[key] = round(float(v), 6)
        except (TypeError, ValueError):
            continue
    return out


def headline_metric(metrics: dict[str, float]) -> tuple[str, float | None]:
    """The one validation number to show: mAP50 (detection) or top-1 accuracy."""
    for key in ("mAP50", "accuracy_top1"):
        if key in metrics:
            return key, metrics[key]
    return "", None


def train_loss(metrics: dict[str, float]) -> float | None:
    losses = [v for k, v in metrics.items() if k.startswith("train/")]
    return sum(losses) if losses else None


class EpochRecorder:
    """The `on_fit_epoch_end` callback: records each epoch, shows it, persists the run
    through `save(epochs, final)`, then calls the user's hook (which may raise, e.g.
    KeyboardInterrupt, to stop training after a checkpoint)."""

    def __init__(self, *, total_epochs: int, start_epochs: list[dict[str, float]],
                 save: Callable[[list[dict[str, float]]], None], show: bool,
                 hook: EpochHook | None = None, title: str = "training"):
        self.epochs = list(start_epochs)
        self.final: dict[str, float] | None = None
        self._save = save
        self._hook = hook
        self._stopping = False
        self._t0 = time.perf_counter()
        self._progress: Progress | None = None
        self._task = None
        if show:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("epochs"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                console=Console(stderr=True), transient=False,
            )
            self._task = self._progress.add_task(title, total=total_epochs,
                                                 completed=len(self.epochs), info="")

    def __enter__(self) -> EpochRecorder:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def on_train_epoch_start(self, trainer: Any) -> None:
        """Epoch times start here, so the first epoch does not include the set-up."""
        self._t0 = time.perf_counter()

    def on_fit_epoch_end(self, trainer: Any) -> None:
        metrics = clean_metrics(trainer)
        if self._stopping:  # the extra call after the final validation of best.pt
            self.final = metrics
            return
        now = time.perf_counter()
        metrics = {"epoch": float(trainer.epoch + 1), "time_s": round(now - self._t0, 3), **metrics}
        self._t0 = now
        # a resumed run repeats the epoch it was interrupted in: keep the newer numbers
        self.epochs = [e for e in self.epochs if e.get("epoch", 0) < metrics["epoch"]] + [metrics]
        self._stopping = bool(getattr(trainer, "stop", False))
        name, value = headline_metric(metrics)
        loss = train_loss(metrics)
        info = "  ".join(x for x in (
            f"loss {loss:.3f}" if loss is not None else "",
            f"{name} {value:.3f}" if value is not None else "") if x)
        log.info("epoch %d/%d %s (%.1f s)", trainer.epoch + 1, trainer.epochs, info,
                 metrics["time_s"])
        if self._progress is not None:
            self._progress.update(self._task, completed=trainer.epoch + 1, total=trainer.epochs,
                                  info=info)
        self._save(self.epochs)
        if self._hook is not None:
            self._hook(trainer.epoch + 1, metrics)
