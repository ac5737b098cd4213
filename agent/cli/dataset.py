"""`synthloop dataset build|show`: freeze samples into dataset versions and inspect them."""

from __future__ import annotations

import typer
from rich.table import Table

from synthloop.tools.errors import NotFound

from .app import console, open_workspace

group = typer.Typer(help="Build and inspect dataset versions.", no_args_is_help=True)


def _print_counts(ws, ds, *, picture: bool = False) -> None:
    from synthloop.tools.dataset import describe_dataset

    counts = describe_dataset(ws, ds)
    what = "images" if ds.task == "classification" else "objects"
    t = Table(title=f"dataset {ds.id} (policy v{ds.policy_version}, {ds.task}, "
                    f"test holdout: {ds.holdout}) — images and {what} per class",
              title_justify="left")
    t.add_column("split")
    t.add_column("images", justify="right")
    for name in ds.class_names:
        t.add_column(name, justify="right")
    for split, row in counts.items():
        t.add_row(split, str(row["images"]), *(str(row[n]) for n in ds.class_names))
    console.print(t)
    if picture:
        from synthloop.tools.dataset.plots import plot_class_counts

        path = ws.write_artifact(f"reports/dataset-{ds.id}.png", plot_class_counts(ds, counts))
        console.print(f"picture: {path}")


@group.command("build")
def dataset_build(
    min_per_class: int = typer.Option(0, "--min-per-class", min=0,
                                      help="Fail when a class has fewer training objects."),
    note: str = typer.Option("", "--note", help="A note stored with the version."),
) -> None:
    """Freeze all samples into a new dataset version; prints counts per split and class."""
    from synthloop.tools.dataset import build_dataset_version

    with open_workspace(write=True) as ws:
        parent = None
        try:
            parent = ws.get_dataset().id
        except NotFound:
            pass
        ds = build_dataset_version(ws, ws.get_policy(), parent=parent, note=note,
                                   min_per_class=min_per_class)
        _print_counts(ws, ds, picture=True)
        if ds.id == parent:
            console.print("same samples as the latest version: nothing new")


@group.command("show")
def dataset_show(dataset_id: str | None = typer.Argument(None, help="Version id (default: latest).")
                 ) -> None:
    """Counts per split and class of a dataset version."""
    with open_workspace(write=False) as ws:  # the picture is a file, not a database write
        _print_counts(ws, ws.get_dataset(dataset_id), picture=True)
