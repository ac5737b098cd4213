"""train: YOLO on the dataset version. The run id hashes dataset + config, so a resumed
loop finds the finished run instead of training (and counting) it twice."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.train import train_model

from ..cancel import stop_requested
from ..context import LoopContext
from ..llm import release_for_training
from ..state import LoopState
from .common import settings_of, stage


def train(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    s = settings_of(state)
    ds = ws.get_dataset(state["dataset_id"])
    config = s.training
    prev = state.get("train_run_id")
    if s.warm_start_epochs and state.get("iteration", 0) > 0 and prev:
        weights = ws.get_train_run(prev).weights
        if weights:  # continue from the last iteration's model on the grown dataset
            config = config.model_copy(update={"model": str(ws.path(weights)),
                                               "epochs": s.warm_start_epochs})
    stage(runtime, f"training {config.model} for {config.epochs} epochs at {config.imgsz}px")
    if release_for_training():  # an idle embedded LLM slows torch ~1.5x; it restarts in ~2.5 s
        stage(runtime, "stopped the embedded LLM while training (it restarts when needed)")
    run = train_model(ws, ds, config, iteration=state.get("iteration", 0),
                      progress=runtime.context.progress, should_stop=stop_requested)
    return {"train_run_id": run.id}
