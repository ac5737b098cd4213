"""`synthloop export`, `augment`, `import-real` and `dataset build|show`: dataset versions,
real images, augmentation and exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from synthloop.tools.errors import NotFound, ValidationError

from .app import app, console, err_console, open_workspace

dataset_app = typer.Typer(help="Build and inspect dataset versions.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")

FORMATS = ("yolo", "coco", "hf", "classify")


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


def _latest_or_built(ws, dataset_id: str | None):
    if dataset_id:
        return ws.get_dataset(dataset_id)
    try:
        return ws.get_dataset()
    except NotFound:
        from synthloop.tools.dataset import build_dataset_version

        ds = build_dataset_version(ws, ws.get_policy(), note="built by synthloop export")
        console.print(f"built dataset version [bold]{ds.id}[/] from all samples")
        return ds


@dataset_app.command("build")
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


@dataset_app.command("show")
def dataset_show(dataset_id: str | None = typer.Argument(None, help="Version id (default: latest).")
                 ) -> None:
    """Counts per split and class of a dataset version."""
    with open_workspace(write=False) as ws:  # the picture is a file, not a database write
        _print_counts(ws, ws.get_dataset(dataset_id), picture=True)


@app.command()
def export(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write (new or empty).")],
    fmt: str | None = typer.Option(None, "--format", "-f",
                                   help="yolo | coco | hf | classify (default: yolo for "
                                        "detection, classify for classification)."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset version id (default: latest)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier export there."),
    link: str = typer.Option("copy", "--link", help="copy (a reflink where the disk can) | hard | "
                             "symlink: how images are placed; links share the workspace's files."),
    push_to_hub: str | None = typer.Option(None, "--push-to-hub", metavar="OWNER/NAME",
                                           help="Also upload the export (needs HF_TOKEN)."),
) -> None:
    """Export a dataset version for training elsewhere or for sharing."""
    from synthloop.tools.dataset import EXPORTERS
    from synthloop.tools.dataset import push_to_hub as push
    from synthloop.tools.dataset.files import LINK_RISK

    if fmt is not None and fmt not in FORMATS:
        raise ValidationError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}",
                              "e.g. synthloop export --format yolo out/")
    if link not in ("hard", "symlink", "copy"):
        raise ValidationError(f"--link {link!r} is not one of copy, hard, symlink", "use --link copy")
    if link in LINK_RISK:
        err_console.print(f"[yellow]warning:[/] --link {link}: {LINK_RISK[link]}", soft_wrap=True)
    with open_workspace(write=True) as ws:
        ds = _latest_or_built(ws, dataset)
        fmt = fmt or ("yolo" if ds.task == "detection" else "classify")
        out = EXPORTERS[fmt](ws, ds, out_dir, overwrite=overwrite, link=link)
        console.print(f"exported dataset {ds.id} as {fmt}: [bold]{out}[/] "
                      f"({', '.join(f'{k}: {len(v)}' for k, v in ds.splits.items())})")
    if push_to_hub:
        folder = out.parent if out.is_file() else out
        console.print(f"pushed to {push(folder, push_to_hub)}")


@app.command()
def augment(
    min_per_class: int = typer.Option(15, "--min-per-class", min=1,
                                      help="Top up classes with fewer real training images."),
    seed: int = typer.Option(0, "--seed", help="Seed of the augmentation run."),
) -> None:
    """Add augmented copies of real training images for classes that have few."""
    from synthloop.tools.augment import augment_samples

    with open_workspace(write=True) as ws:
        res = augment_samples(ws, ws.get_policy(), min_per_class=min_per_class, seed=seed)
        t = Table(title=f"augmented: {len(res.created)} new image(s)", title_justify="left")
        for col in ("class", "before", "after"):
            t.add_column(col, justify="left" if col == "class" else "right")
        for name, before in res.before.items():
            t.add_row(name, str(before), str(res.after.get(name, before)))
        console.print(t)
        if res.no_source:
            console.print(f"[yellow]no real training images to augment for:[/] "
                          f"{', '.join(res.no_source)} (import some with: synthloop import-real "
                          "DIR --split train)")


@app.command("import-real")
def import_real(
    folder: Annotated[Path, typer.Argument(help="Folder of real images.")],
    labels: str = typer.Option("yolo", "--labels", help="yolo | none | folders"),
    split: str = typer.Option("test", "--split", help="test (the default: the eval set) | val | train"),
) -> None:
    """Import real images (the eval set by default), skipping corrupt files."""
    from synthloop.tools.dataset import import_real_images

    with open_workspace(write=True) as ws:
        res = import_real_images(ws, folder, split=split, labels=labels)  # type: ignore[arg-type]
        console.print(f"imported {len(res.imported)} real image(s) into {split}"
                      f" ({res.already_there} already there)")
        if res.classes:
            console.print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(res.classes.items())))
        if res.skipped:
            console.print(f"[yellow]skipped {len(res.skipped)}[/]: {len(res.corrupt)} corrupt, "
                          f"{len(res.bad_labels)} with bad labels, {len(res.unlabelled)} unlabelled "
                          "(see the log for the names)")
