"""`synthloop train`: one training run."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from synthloop.tools.config import TrainingConfig, load_config
from synthloop.tools.errors import ConfigError, NotFound

from .app import console, open_workspace


def _training_config(ws_root: Path, **overrides) -> TrainingConfig:
    base = load_config(ws_root).training
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return TrainingConfig.model_validate({**base.model_dump(), **given})
    except PydanticValidationError as e:
        err = e.errors()[0]
        raise ConfigError(f"invalid --{err['loc'][0]}: {err['msg']}",
                          "see: synthloop train --help") from None


def _dataset(ws, dataset_id: str | None):
    if dataset_id:
        return ws.get_dataset(dataset_id)
    try:
        return ws.get_dataset()
    except NotFound:
        from synthloop.tools.dataset import build_dataset_version

        ds = build_dataset_version(ws, ws.get_policy(), note="built by synthloop train")
        console.print(f"built dataset version [bold]{ds.id}[/] from all samples "
                      f"({', '.join(f'{k}: {len(v)}' for k, v in ds.splits.items())})")
        return ds


def train(
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs (default: config)."),
    imgsz: int | None = typer.Option(None, "--imgsz", help="Image size in pixels."),
    model: str | None = typer.Option(None, "--model",
                                     help="Model yaml (from scratch) or a local .pt to fine-tune."),
    batch: int | None = typer.Option(None, "--batch", help="Batch size."),
    device: str | None = typer.Option(None, "--device", help="auto | cpu | cuda | 0"),
    lr0: float | None = typer.Option(None, "--lr0", help="Initial learning rate."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset version id (default: latest)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from last.pt."),
) -> None:
    """Train YOLO on the latest dataset version (or one built from all samples)."""
    from synthloop.tools.train import train_model

    with open_workspace(write=True) as ws:
        cfg = _training_config(ws.root, epochs=epochs, imgsz=imgsz, model=model, batch=batch,
                               device=device, lr0=lr0)
        ds = _dataset(ws, dataset)
        console.print(f"training [bold]{cfg.model}[/] on dataset {ds.id} "
                      f"({ds.count('train')} train / {ds.count('val')} val images), "
                      f"{cfg.epochs} epochs at {cfg.imgsz}px")
        run = train_model(ws, ds, cfg, resume=resume)
        t = Table(title=f"training run {run.id}", show_header=False, title_justify="left")
        t.add_column("what", style="cyan")
        t.add_column("value")
        t.add_row("status", run.status)
        t.add_row("epochs", str(len(run.epochs)))
        t.add_row("wall time", f"{run.wall_time_s:.1f} s")
        last = run.epochs[-1] if run.epochs else {}
        for k in ("mAP50", "mAP50-95", "accuracy_top1", "best/mAP50", "best/accuracy_top1"):
            if k in last:
                t.add_row(k, f"{last[k]:.3f}")
        t.add_row("weights", str(ws.root / run.weights) if run.weights else "-")
        console.print(t)
        console.print(f"next: synthloop evaluate --run {run.id}", soft_wrap=True)
