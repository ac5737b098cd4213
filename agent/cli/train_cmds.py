"""`synthloop train`, `evaluate` and `report`: one training run, its misclassification
report, and the report's summary and HTML page."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.markdown import Markdown
from rich.table import Table

from synthloop.tools.config import TrainingConfig, load_config
from synthloop.tools.errors import ConfigError, NotFound

from .app import app, console, open_workspace


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


@app.command()
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


@app.command()
def evaluate(
    run_id: str | None = typer.Option(None, "--run", help="Training run id (default: latest finished)."),
    split: str = typer.Option("test", "--split", help="Split to evaluate on (the holdout is test)."),
    conf: float = typer.Option(0.25, "--conf", help="Confidence threshold for matching."),
    iou: float = typer.Option(0.5, "--iou", help="IoU threshold for a match."),
) -> None:
    """Evaluate a training run on the holdout and store its misclassification report."""
    from synthloop.tools.evaluate import evaluate_model

    with open_workspace(write=True) as ws:
        run = ws.get_train_run(run_id)
        report = evaluate_model(ws, run, split=split, conf=conf, iou=iou)
        es = report.eval_set
        console.print(f"report [bold]{report.id}[/] on {es.n_images} {es.kind} images "
                      f"(split {es.split})")
        t = Table(show_header=True, title="per class", title_justify="left")
        for col in ("class", "support", "precision", "recall", "mAP50"):
            t.add_column(col, justify="left" if col == "class" else "right")
        for c in report.classes:
            t.add_row(c.name, str(c.support), f"{c.precision:.3f}",
                      f"{c.recall:.3f}" if c.support else "n/a",
                      f"{c.map50:.3f}" if c.map50 is not None else "-")
        console.print(t)
        if report.slices and report.slices[0].score > 0:
            s = report.slices[0]
            console.print(f"weakest slice: {s.key()} recall {s.recall:.2f} "
                          f"({s.tp}/{s.support}), score {s.score:.2f}")
        console.print(f"next: synthloop report --id {report.id}", soft_wrap=True)


@app.command()
def report(
    report_id: str | None = typer.Option(None, "--id", help="Report id (default: latest)."),
    compare_to: str | None = typer.Option(None, "--compare-to", help="An older report id to compare with."),
    open_page: bool = typer.Option(False, "--open", help="Open the HTML page in a browser."),
    max_tokens: int = typer.Option(1500, "--max-tokens", help="Token budget of the summary."),
) -> None:
    """Print a report's summary and write its standalone HTML page."""
    from synthloop.tools.report import compare_reports, render_report_html, summarize_report

    # read-only: a report can be viewed while a loop holds the writer lock; the page's
    # files are written atomically under reports/<id>/ and touch no database row
    with open_workspace(write=False) as ws:
        rep = ws.get_report(report_id)
        comparison = compare_reports(ws.get_report(compare_to), rep) if compare_to else None
        console.print(Markdown(summarize_report(rep, max_tokens=max_tokens, comparison=comparison)))
        page = render_report_html(ws, rep, comparison=comparison)
        console.print(f"report page: {page}", soft_wrap=True, highlight=False)
        if open_page:
            webbrowser.open(page.as_uri())
