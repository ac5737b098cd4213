"""The progress bar of a generation run: done/total, images per second, ETA."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    """Stored images per second since the start (skipped specs do not count)."""

    def render(self, task) -> Text:
        made = task.fields.get("generated", 0)
        elapsed = task.elapsed or 0.0
        return Text(f"{made / elapsed:6.1f} img/s" if elapsed > 0.2 else "   --- img/s", style="cyan")


class GenerationBar:
    """advance(k, generated=n): k more specs dealt with; n images made so far."""

    def __init__(self, progress: Progress | None, task_id=None):
        self._progress, self._task = progress, task_id

    def advance(self, k: int = 1, generated: int | None = None) -> None:
        if self._progress is None or (k == 0 and generated is None):
            return
        fields = {} if generated is None else {"generated": generated}
        self._progress.update(self._task, advance=k, **fields)


@contextmanager
def generation_progress(total: int | None, *, enabled: bool = True, label: str = "generating",
                        console: Console | None = None) -> Iterator[GenerationBar]:
    """A rich progress bar on stderr (a no-op when disabled)."""
    if not enabled:
        yield GenerationBar(None)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=console or Console(stderr=True), transient=False, refresh_per_second=4)
    with progress:
        task = progress.add_task(label, total=total, generated=0)
        yield GenerationBar(progress, task)
