"""start: stamp the run with its thread id and start time (kept across resumes)."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.runnables import RunnableConfig


def start(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"thread_id": config["configurable"]["thread_id"]}
    if "started_at" not in state:
        out["started_at"] = time.time()
    out.setdefault("iteration", state.get("iteration", 0))
    if "history" not in state:
        out["history"] = []
    return out
