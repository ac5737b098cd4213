"""One composition root: agent/services.py opens workspaces and builds the LLM for the CLI,
the graph, the chat, the Studio adapter and the evals; nothing else in agent/ does."""

from __future__ import annotations

import re

import pytest

from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.services import open_services
from synthloop.tools.errors import WorkspaceError
from tests.support.paths import ROOT

# `synthloop llm check` asks an endpoint with no workspace at all
NO_WORKSPACE_LLM = {ROOT / "agent" / "cli" / "llm.py"}


def _sources(folder: str):
    for p in sorted((ROOT / folder).rglob("*.py")):
        yield p, p.read_text()


def test_only_the_composition_root_opens_workspaces_and_builds_llms():
    bad = []
    for p, text in _sources("agent"):
        if p.name == "services.py" or p.parent.name == "llm" and p.parent.parent.name == "agent":
            continue
        for pat in (r"Workspace\.(open|init)\(", r"get_llm\(", r"\bctx_of\b"):
            if re.search(pat, text) and not (pat == r"get_llm\(" and p in NO_WORKSPACE_LLM):
                bad.append(f"{p.relative_to(ROOT)}: {pat}")
    for p, text in _sources("evals"):
        if re.search(r"get_llm\(load_config", text):
            bad.append(f"{p.relative_to(ROOT)}: get_llm(load_config(...))")
    assert not bad, bad


def test_open_services_never_creates_unless_asked(tmp_path):
    missing = tmp_path / "wrokspace"
    with pytest.raises(WorkspaceError, match="does not exist"):
        open_services(missing, write=True)
    assert not missing.exists()
    with open_services(missing, create=True) as sv:
        assert sv.created and sv.workspace.root == missing.resolve()
    with open_services(missing, write=True) as sv:
        assert not sv.created


def test_services_give_the_config_the_llm_and_a_loop_context(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHLOOP_LOOP__SEED", "7")
    llm = ScriptedLLM([])
    seen = []
    with open_services(tmp_path / "ws", create=True, llm=llm, on_open=seen.append) as sv:
        assert sv.config.loop.seed == 7
        ctx = sv.loop_context(progress=False)
        assert ctx.llm is llm and ctx.workspace is sv.workspace and not ctx.progress
        assert seen == [sv.workspace]


def test_the_llm_client_is_built_on_first_use(tmp_path):
    with open_services(tmp_path / "ws", create=True) as sv:
        assert sv._llm is None       # status, export ... never import the client
        assert sv.llm is sv.llm      # one client per services
