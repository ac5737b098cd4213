"""Small helpers shared by nodes: settings, the runtime context, stage banners."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ..context import LoopContext, RunSettings
from ..state import LoopState


def settings_of(state: LoopState) -> RunSettings:
    return RunSettings.model_validate(state.get("settings") or {})


def ctx_of(runtime: Runtime[LoopContext]) -> LoopContext:
    """The run's context: the CLI's LoopContext, or under `langgraph dev` / Studio (which
    send JSON such as `{}`) one for the workspace it names or $SYNTHLOOP_WORKSPACE."""
    if isinstance(runtime.context, LoopContext):
        return runtime.context
    from ..studio import loop_context

    return loop_context(runtime.context)


def stage(runtime: Runtime[LoopContext], text: str) -> None:
    """Print a stage banner in the live view."""
    ctx_of(runtime).console.rule(f"[bold cyan]{text}", align="left")
