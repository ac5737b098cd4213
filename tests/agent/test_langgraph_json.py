"""langgraph.json points LangGraph Studio / `langgraph dev` at the compiled loop graph."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_langgraph_json_names_the_compiled_loop_graph():
    cfg = json.loads((ROOT / "langgraph.json").read_text())
    assert cfg["dependencies"] == ["."]
    (target,) = cfg["graphs"].values()
    path, _, var = target.partition(":")
    import synthloop.agent.graph as wired

    graph = getattr(wired, var)
    assert (ROOT / path).resolve() == Path(wired.__file__).resolve()
    nodes = set(graph.get_graph().nodes)
    assert {"draft", "review", "design", "specs", "generate", "dataset", "train", "evaluate",
            "guardrails", "analyse", "plan", "finish"} <= nodes
    assert graph.checkpointer is None  # the platform brings its own
