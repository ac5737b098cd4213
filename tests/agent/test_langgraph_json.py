"""langgraph.json points LangGraph Studio / `langgraph dev` at the compiled loop graph by
module path (a file path would load agent/graph.py outside its package, and its relative
imports fail); the server's working files are ignored by git."""

from __future__ import annotations

import importlib
import json
import subprocess

import pytest

from synthloop.agent.studio import loop_context
from synthloop.tools.errors import WorkspaceError
from tests.support.paths import ROOT


def test_langgraph_json_names_the_compiled_loop_graph_by_module():
    cfg = json.loads((ROOT / "langgraph.json").read_text())
    assert cfg["dependencies"] == ["."]
    (target,) = cfg["graphs"].values()
    module, _, var = target.partition(":")
    assert "/" not in module and not module.endswith(".py")  # a module path, not a file
    graph = getattr(importlib.import_module(module), var)
    nodes = set(graph.get_graph().nodes)
    assert {"draft", "review", "design", "specs", "generate", "dataset", "train", "evaluate",
            "guardrails", "analyse", "plan", "finish"} <= nodes
    assert graph.checkpointer is None  # the platform brings its own


def test_the_graph_schemas_serialise():
    """The server shows these; on Python < 3.12 a typing.TypedDict or a Console in them
    makes pydantic fail and the server shows null."""
    from synthloop.agent.studio import graph

    assert set(graph.get_input_jsonschema()["properties"]) == {"goal", "settings"}
    assert "policy_version" in graph.get_output_jsonschema()["properties"]
    assert set(graph.get_context_jsonschema()["properties"]) == {"workspace"}


def test_langgraph_server_files_are_ignored():
    out = subprocess.run(["git", "check-ignore", "-q", ".langgraph_api/store.pckl"], cwd=ROOT)
    assert out.returncode == 0


def test_a_server_context_never_creates_a_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("SYNTHLOOP_WORKSPACE", raising=False)
    with pytest.raises(WorkspaceError, match="no workspace for this run.*SYNTHLOOP_WORKSPACE"):
        loop_context({})
    typo = tmp_path / "wrokspace"
    monkeypatch.setenv("SYNTHLOOP_WORKSPACE", str(typo))
    with pytest.raises(WorkspaceError, match="does not exist.*synthloop init"):
        loop_context({})
    with pytest.raises(WorkspaceError, match="does not exist"):
        loop_context({"workspace": str(tmp_path / "other")})
    assert not typo.exists() and not (tmp_path / "other").exists()
