"""LangGraph Studio's server, for real: `langgraph dev` loads the graph from langgraph.json,
shows its schemas, runs a thread on a temporary workspace with the context Studio sends
(`{}`), pauses at the design review, resumes on approve, and a cancel during training stops
the training within seconds. The LLM is a local OpenAI-compatible stub with the replies the
scripted loop tests use; the server's network access is guarded."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthloop.tools.store import Workspace
from tests.support.llm_replies import HARD_HAT_AXES, HARD_HAT_DRAFT, HARD_HAT_SCENARIOS
from tests.support.loop import tiny_settings
from tests.support.paths import LANGGRAPH_DEV_SERVER, ROOT
from tests.support.stub_server import StubServer, chat_reply

SERVER = LANGGRAPH_DEV_SERVER
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _train_runs(root: Path):
    ws = Workspace.open(root)  # read-only: the server holds the writer lock
    try:
        return ws.list_train_runs()
    finally:
        ws.close()


@pytest.fixture
def server(tmp_path):
    """`langgraph dev` on a free port, SYNTHLOOP_WORKSPACE a fresh workspace, the LLM a stub."""
    Workspace.init(tmp_path / "ws").close()
    replies = [(200, chat_reply(json.dumps(r)))
               for r in (HARD_HAT_DRAFT, HARD_HAT_SCENARIOS, HARD_HAT_AXES)]
    with StubServer(replies) as llm:
        port = _free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LANGSMITH", "LANGCHAIN", "OPENAI", "SYNTHLOOP_"))}
        env.update(SYNTHLOOP_WORKSPACE=str(tmp_path / "ws"), SYNTHLOOP_LLM_BASE_URL=llm.url,
                   SYNTHLOOP_LLM_MODEL="stub-model", LANGGRAPH_CLI_NO_ANALYTICS="1",
                   LANGGRAPH_NO_VERSION_CHECK="true", LANGSMITH_TRACING="false",
                   PYTHONUNBUFFERED="1")
        log = (tmp_path / "server.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--config", str(ROOT / "langgraph.json"),
             "--port", str(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            from langgraph_sdk import get_sync_client

            client = get_sync_client(url=f"http://127.0.0.1:{port}", api_key=None)

            def up():
                assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
                try:
                    return client.assistants.search(graph_id="synthloop")
                except Exception:
                    return None

            assistants = _wait("the server to list the graph", up, 90, every=0.5)
            yield client, assistants, tmp_path, llm
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        text = (tmp_path / "server.log").read_text()
        assert "NETWORK ATTEMPT" not in text, text[-3000:]


def test_studio_runs_reviews_and_cancels_training(server):
    client, assistants, tmp_path, llm = server
    (assistant,) = assistants
    schemas = client.assistants.get_schemas(assistant["assistant_id"])
    assert set(schemas["input_schema"]["properties"]) == {"goal", "settings"}
    assert {"policy_version", "history", "report_page"} <= set(
        schemas["state_schema"]["properties"])
    assert set(schemas["context_schema"]["properties"]) == {"workspace"}

    # a mistyped workspace is refused by name and not created
    bad = tmp_path / "no-such-ws"
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "synthloop", input={"goal": "hard hats"},
                             context={"workspace": str(bad)})
    client.runs.join(thread["thread_id"], run["run_id"])
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "error"
    assert not bad.exists()

    # the context Studio sends by default: {} (the workspace comes from SYNTHLOOP_WORKSPACE)
    settings = tiny_settings(auto_approve=False, iterations=0).model_copy(
        update={"training": tiny_settings().training.model_copy(update={"epochs": 200})})
    thread = client.threads.create()
    tid = thread["thread_id"]
    run = client.runs.create(tid, "synthloop", context={}, input={
        "goal": "workers wear hard hats", "settings": settings.model_dump(mode="json")})
    client.runs.join(tid, run["run_id"])
    state = client.threads.get_state(tid)
    assert state["next"] == ["review"], state
    (pause,) = state["tasks"][0]["interrupts"]
    assert pause["value"]["policy_version"] == 1 and "Hard hats" in pause["value"]["review"]
    assert len(llm.chat_requests) == 1  # the draft; nothing generated before the review

    run = client.runs.create(tid, "synthloop", context={},
                             command={"resume": {"action": "approve"}})

    def training_epoch():
        runs = _train_runs(tmp_path / "ws")
        return runs and runs[-1].status == "running" and len(runs[-1].epochs) >= 1

    _wait("training to finish an epoch", training_epoch, 120, every=0.5)
    assert client.runs.get(tid, run["run_id"])["status"] == "running"
    cancelled_at = time.monotonic()
    client.runs.cancel(tid, run["run_id"])

    def stopped():
        (r,) = _train_runs(tmp_path / "ws")
        return r if r.status == "interrupted" else None

    train_run = _wait("training to stop after the cancel", stopped, 15)
    assert time.monotonic() - cancelled_at < 15
    epochs = len(train_run.epochs)
    assert epochs < 200
    last = tmp_path / "ws" / train_run.last if train_run.last else None
    mtime = last.stat().st_mtime if last else None
    time.sleep(3)  # nothing trains on in the background
    (after,) = _train_runs(tmp_path / "ws")
    assert after.status == "interrupted" and len(after.epochs) == epochs
    if last:
        assert last.stat().st_mtime == mtime
    _wait("the run to be marked cancelled",
          lambda: client.runs.get(tid, run["run_id"])["status"] in ("interrupted", "error"), 15)
    ws = Workspace.open(tmp_path / "ws")
    try:
        assert ws.review_status(1)[0] == "approved"
        assert ws.counts()["samples"] == 24 + 24 + 8  # generation finished before training
    finally:
        ws.close()
