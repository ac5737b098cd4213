"""Small helpers shared by nodes: the run's settings and stage banners. Nodes read their
LoopContext as `runtime.context` (a server's JSON context is turned into one by studio.py
before a node runs)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ..context import LoopContext, RunSettings
from ..state import LoopState


def settings_of(state: LoopState) -> RunSettings:
    return RunSettings.model_validate(state.get("settings") or {})


def stage(runtime: Runtime[LoopContext], text: str) -> None:
    """Print a stage banner in the live view."""
    runtime.context.console.rule(f"[bold cyan]{text}", align="left")
