"""A rich progress bar with rate and ETA for dataset work (imports, exports, augmentation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(label: str, total: int, *, unit: str = "img", enabled: bool = True
                 ) -> Iterator:
    """Yield `advance(n=1)`; the bar shows done/total, items per second and time left."""
    bar = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"),
                   TimeRemainingColumn(), console=Console(stderr=True),
                   disable=not enabled or total == 0, transient=False)
    with bar:
        task = bar.add_task(label, total=total, rate="")

        def advance(n: int = 1) -> None:
            bar.advance(task, n)
            speed = bar.tasks[0].speed
            if speed:
                bar.update(task, rate=f"{speed:.1f} {unit}/s")

        yield advance
