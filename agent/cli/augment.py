"""`synthloop augment`: augmented copies of real training images for classes with few."""

from __future__ import annotations

import typer
from rich.table import Table

from .app import console, open_workspace


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
