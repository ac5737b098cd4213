"""`synthloop demo`: the full loop on embedded defaults for a built-in goal."""

from __future__ import annotations

import typer

from . import loop_view
from .app import console, services


def demo(
    iterations: int = typer.Option(2, help="Targeted iterations after the first."),
) -> None:
    """The README's main job: the full loop on embedded defaults (local LLM, procedural
    images, CPU training) for a built-in goal, with settings sized for a 2-core machine."""
    from ..demo import DEMO_GOAL, demo_settings

    with services(create=True) as sv:
        console.print(f"[bold]synthloop demo[/]: {DEMO_GOAL!r} in workspace {sv.workspace.root}")
        loop_view._execute(sv, DEMO_GOAL, demo_settings(sv.config, iterations=iterations), None)
