"""start: stamp the run with its thread id and start time (kept across resumes). A run
started without settings (LangGraph Studio's input form) gets the workspace's."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from ..context import LoopContext, RunSettings
from ..state import LoopState


def start(state: LoopState, config: RunnableConfig,
          runtime: Runtime[LoopContext]) -> dict[str, Any]:
    out: dict[str, Any] = {"thread_id": config["configurable"]["thread_id"]}
    if not state.get("settings"):
        from synthloop.tools.config import load_config

        cfg = load_config(runtime.context.workspace.root)
        out["settings"] = RunSettings.from_config(cfg).model_dump(mode="json")
    if "started_at" not in state:
        out["started_at"] = time.time()
    out.setdefault("iteration", state.get("iteration", 0))
    if "history" not in state:
        out["history"] = []
    return out
