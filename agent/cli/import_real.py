"""`synthloop import-real`: real images (the eval set by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import console, open_workspace


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
