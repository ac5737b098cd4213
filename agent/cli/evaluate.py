"""`synthloop evaluate`: a training run's misclassification report."""

from __future__ import annotations

import typer
from rich.table import Table

from .app import console, open_workspace


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
