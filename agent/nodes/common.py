"""Small helpers shared by nodes: settings, the runtime context, stage banners."""

from __future__ import annotations

import os
from typing import Any

from langgraph.runtime import Runtime

from ..context import LoopContext, RunSettings

_default: LoopContext | None = None


def settings_of(state: dict[str, Any]) -> RunSettings:
    return RunSettings.model_validate(state.get("settings") or {})


def ctx_of(runtime: Runtime[LoopContext]) -> LoopContext:
    """The run's context; under `langgraph dev` (which passes none) a default one built
    from SYNTHLOOP_WORKSPACE and the configured LLM."""
    global _default
    if isinstance(runtime.context, LoopContext):
        return runtime.context
    if _default is None:
        from synthloop.tools.config import load_config
        from synthloop.tools.store import Workspace

        from ..llm import get_llm

        ws = Workspace.init(os.environ.get("SYNTHLOOP_WORKSPACE", "synthloop-workspace"))
        _default = LoopContext(workspace=ws, llm=get_llm(load_config(ws.root).llm, workspace=ws))
    return _default


def stage(runtime: Runtime[LoopContext], text: str) -> None:
    """Print a stage banner in the live view."""
    ctx_of(runtime).console.rule(f"[bold cyan]{text}", align="left")
