"""`synthloop export`: a dataset version in yolo, coco, hf or classify format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthloop.tools.errors import NotFound, ValidationError

from .app import console, err_console, open_workspace

FORMATS = ("yolo", "coco", "hf", "classify")


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
