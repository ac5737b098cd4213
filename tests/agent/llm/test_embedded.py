"""The embedded server: clear errors for a busy port or a bad model file (checked before
xllamacpp, which only says 'Failed to init server'), and, marked slow, the real model end to
end: start, one structured decision, realistic schemas accepted, stop, port and memory freed."""

from __future__ import annotations

import json
import socket
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from synthloop.agent.llm import EmbeddedModelError, ReplyTruncated, get_llm, stop_embedded
from synthloop.agent.llm.embedded import (
    PORT_ENV,
    check_port_free,
    ensure_embedded,
    running_server,
    start_server,
)
from synthloop.tools.config import LLMConfig


@pytest.fixture
def fake_gguf(tmp_path):
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    return path


@pytest.fixture
def busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield s.getsockname()[1]


def test_port_in_use_is_a_clear_error(fake_gguf, busy_port):
    with pytest.raises(EmbeddedModelError, match=f"port {busy_port} on 127.0.0.1 is already in use") as exc:
        start_server(LLMConfig(), model_path=fake_gguf, port=busy_port)
    assert PORT_ENV in exc.value.hint
    assert running_server() is None


def test_port_from_the_environment_is_checked(fake_gguf, busy_port, monkeypatch):
    monkeypatch.setenv(PORT_ENV, str(busy_port))
    with pytest.raises(EmbeddedModelError, match="already in use"):
        start_server(LLMConfig(), model_path=fake_gguf)
    monkeypatch.setenv(PORT_ENV, "eighty")
    with pytest.raises(EmbeddedModelError, match="not a port number"):
        start_server(LLMConfig(), model_path=fake_gguf)


def test_a_free_port_passes(busy_port):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    check_port_free(free)
    with pytest.raises(EmbeddedModelError, match="not a valid TCP port"):
        check_port_free(70000)


def test_bad_model_paths_are_clear_errors(tmp_path):
    with pytest.raises(EmbeddedModelError, match="does not exist"):
        start_server(LLMConfig(), model_path=tmp_path / "missing.gguf", port=0)
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"<html>not a model</html>")
    with pytest.raises(EmbeddedModelError, match="is not a GGUF model file"):
        start_server(LLMConfig(), model_path=not_gguf, port=0)
    with pytest.raises(EmbeddedModelError, match="cannot read"):
        start_server(LLMConfig(), model_path=tmp_path, port=0)  # a folder


def test_get_llm_picks_embedded_only_when_nothing_is_configured():
    assert get_llm(LLMConfig()).embedded
    assert not get_llm(LLMConfig(base_url="http://127.0.0.1:1/v1")).embedded
    remote = get_llm(LLMConfig(api_key="sk-test-0123456789abcdef"))
    assert not remote.embedded and remote.base_url == "https://api.openai.com/v1"
    assert running_server() is None  # nothing starts before the first request


# -- the real model (slow) ----------------------------------------------------------------

class Pet(BaseModel):
    name: str = Field(max_length=30)
    species: Literal["cat", "dog", "bird"]
    age: int = Field(ge=0, le=30)


def _rss_mb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SYNTHLOOP_LLM_BASE_URL",
                "SYNTHLOOP_LLM_MODEL", "SYNTHLOOP_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    stop_embedded()
    yield
    stop_embedded()


@pytest.mark.slow
def test_embedded_model_end_to_end(clean_env, ws, no_network, tmp_path, monkeypatch):
    import synthloop.agent.llm.embedded as embedded
    from synthloop.tools.models import MisclassificationReport, Policy
    from tests.support.reply_schemas import Realistic

    slots = tmp_path / "slots"
    slots.mkdir()
    monkeypatch.setattr(embedded, "_slot_dir", lambda: slots)

    rss_before = _rss_mb()
    llm = get_llm(LLMConfig(embedded_ctx=4096), workspace=ws)
    pet = llm.decide(Pet, "_test_decide", {"topic": "a pet dog"}, max_tokens=96, temperature=0)
    assert isinstance(pet, Pet) and pet.species in ("cat", "dog", "bird")
    server = running_server()
    assert server is not None and _listening(server.port) and server.n_ctx == 4096
    assert ensure_embedded() is server  # reused within the process
    assert llm.endpoint == f"embedded {server.url}"
    assert _rss_mb() - rss_before > 800  # the weights are in this process
    # /v1/models names the model, not the GGUF file's path (issue 14, smaller items)
    import urllib.request

    req = urllib.request.Request(server.url + "/models",
                                 headers={"Authorization": f"Bearer {server.api_key}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        ids = [m["id"] for m in json.loads(resp.read())["data"]]
    assert ids == ["qwen2.5-coder-1.5b-instruct-q4_k_m"], ids

    # realistic schemas (nested lists, enums, Optional, dicts, maxLength) are accepted by
    # llama.cpp's grammar: the reply starts as JSON and is cut off only by our tiny limit
    for schema in (Realistic, Policy, MisclassificationReport):
        with pytest.raises(ReplyTruncated) as exc:
            llm.decide(schema, "_test_decide", {"topic": "x"}, max_tokens=8, temperature=0)
        assert exc.value.raw.lstrip().startswith(("{", "[")), schema.__name__

    rows = ws.list_llm_calls()
    assert rows[0].parsed and json.loads(rows[0].parsed) == pet.model_dump()
    assert rows[0].completion_tokens > 0 and rows[0].model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert server.api_key not in rows[0].prompt + rows[0].endpoint

    assert rows[0].prompt_s is not None and rows[0].prompt_s > 0  # llama.cpp's timings
    # every call of one template shares its fixed part (the system text): the first call
    # evaluated it, the next ones took it from the KV cache
    assert rows[1].prompt_cached > 0 and rows[1].prompt_cached < rows[1].prompt_tokens

    first_port = server.port
    key = embedded.prefix_key(llm.calls[0].messages)
    del server
    assert stop_embedded() is True
    assert running_server() is None and not _listening(first_port)
    # the template's prefix was saved after its calls (atomically: no temporary file left)
    assert [p.name for p in slots.iterdir()] == [embedded.slot_file(embedded.EmbeddedServer(
        url="", port=0, model_path=embedded.ensure_weights(), model_name="", n_ctx=4096,
        threads=1, startup_s=0, api_key="", handle=None), key)]
    # the next request starts a fresh server, which restores that prefix before answering
    llm.decide(Pet, "_test_decide", {"topic": "a pet cat"}, max_tokens=96, temperature=0)
    server = running_server()
    assert server is not None and _listening(server.port)
    assert server.restored_tokens > 0 and ws.list_llm_calls()[-1].prompt_cached > 0

    llm.close()
    port = server.port
    del server
    assert stop_embedded() is True
    assert running_server() is None and not _listening(port)
    assert _rss_mb() - rss_before < 500  # the ~2 GB went with it
    assert no_network == []


@pytest.mark.slow
def test_cli_llm_check_embedded(clean_env, monkeypatch, tmp_path, capsys):
    from synthloop.agent.cli import run

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYNTHLOOP_LLM__EMBEDDED_CTX", "4096")
    assert run(["llm", "check", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["kind"] == "embedded" and out["endpoint"].startswith("embedded http://127.0.0.1:")
    assert out["model"] == "qwen2.5-coder-1.5b-instruct-q4_k_m" and out["reply"]
    assert running_server() is None  # the command stops what it started


def test_the_prompt_cache_is_kept_only_when_something_was_saved(tmp_path, monkeypatch):
    import synthloop.agent.llm.embedded as embedded

    server = embedded.EmbeddedServer(url="http://127.0.0.1:1/v1", port=1,
                                     model_path=tmp_path / "m.gguf", model_name="m", n_ctx=512,
                                     threads=1, startup_s=0, api_key="k", handle=object(),
                                     slot_dir=tmp_path)
    final = tmp_path / embedded.slot_file(server, "abc")
    final.write_bytes(b"the previous cache")

    def saving(n):
        def action(srv, what, name):
            (tmp_path / name).write_bytes(b"new cache")
            return {"n_saved": n}
        return action
    monkeypatch.setattr(embedded, "_slot_action", saving(0))  # a server that served nothing
    assert embedded.keep_prefix(server, "abc") is False
    assert final.read_bytes() == b"the previous cache" and len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(embedded, "_slot_action", saving(600))
    assert embedded.keep_prefix(server, "abc") is True
    assert final.read_bytes() == b"new cache" and len(list(tmp_path.iterdir())) == 1
    # a server that cannot be reached: nothing saved, nothing restored, no error
    monkeypatch.setattr(embedded, "_slot_action", lambda *a: None)
    assert embedded.keep_prefix(server, "abc") is False
    assert embedded.use_prefix(server, "abc") == 0 and server.restored_tokens == 0


def test_a_prefix_is_restored_only_when_the_slot_holds_another(tmp_path, monkeypatch):
    import synthloop.agent.llm.embedded as embedded

    server = embedded.EmbeddedServer(url="http://127.0.0.1:1/v1", port=1,
                                     model_path=tmp_path / "m.gguf", model_name="m", n_ctx=512,
                                     threads=1, startup_s=0, api_key="k", handle=object(),
                                     slot_dir=tmp_path)
    asked = []

    def action(srv, what, name):
        asked.append((what, name))
        if what == "save":
            (tmp_path / name).write_bytes(b"kv")
            return {"n_saved": 300}
        return {"n_restored": 300}
    monkeypatch.setattr(embedded, "_slot_action", action)
    plan = [{"role": "system", "content": "plan"}, {"role": "user", "content": "C1..."}]
    draft = [{"role": "system", "content": "draft"}, {"role": "user", "content": "goal"}]
    k_plan, k_draft = embedded.prefix_key(plan), embedded.prefix_key(draft)
    assert k_plan == embedded.prefix_key([plan[0], {"role": "user", "content": "other"}])
    assert k_plan != k_draft
    assert embedded.use_prefix(server, k_plan) == 0  # nothing saved yet
    embedded.keep_prefix(server, k_plan)
    embedded.keep_prefix(server, k_draft)  # the draft ran next: the slot holds its prefix
    server.holds = k_draft
    asked.clear()
    assert embedded.use_prefix(server, k_draft) == 0 and asked == []  # already there
    assert embedded.use_prefix(server, k_plan) == 300
    assert asked == [("restore", embedded.slot_file(server, k_plan))]
    assert server.holds == k_plan and server.restored_tokens == 300
    several = embedded.EmbeddedServer(**{**server.__dict__, "parallel": 2, "holds": None})
    assert embedded.use_prefix(several, k_plan) == 0  # slots other than 0 are never saved
    monkeypatch.setattr(embedded, "SLOT_FILES", 1)
    embedded.keep_prefix(server, "newest")
    assert [p.name for p in tmp_path.glob("*.slot")] == [embedded.slot_file(server, "newest")]
