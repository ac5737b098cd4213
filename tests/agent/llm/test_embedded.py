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

    first_port = server.port
    del server
    assert stop_embedded() is True
    assert running_server() is None and not _listening(first_port)
    # the stopped server's KV cache was saved (atomically: no temporary file is left)
    assert [p.name for p in slots.iterdir()] == [embedded.slot_file(embedded.EmbeddedServer(
        url="", port=0, model_path=embedded.ensure_weights(), model_name="", n_ctx=4096,
        threads=1, startup_s=0, api_key="", handle=None))]
    assert llm.check().reply  # the next request starts a fresh server
    server = running_server()
    assert server is not None and _listening(server.port)
    assert server.restored_tokens > 0  # ... and the new one started from it

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
    final = tmp_path / embedded.slot_file(server)
    final.write_bytes(b"the previous cache")

    def saving(n):
        def action(srv, what, name):
            (tmp_path / name).write_bytes(b"new cache")
            return {"n_saved": n}
        return action
    monkeypatch.setattr(embedded, "_slot_action", saving(0))  # a server that served nothing
    assert embedded.save_prefix(server) is False
    assert final.read_bytes() == b"the previous cache" and len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(embedded, "_slot_action", saving(600))
    assert embedded.save_prefix(server) is True
    assert final.read_bytes() == b"new cache" and len(list(tmp_path.iterdir())) == 1
    # a server that cannot be reached: nothing saved, nothing restored, no error
    monkeypatch.setattr(embedded, "_slot_action", lambda *a: None)
    assert embedded.save_prefix(server) is False and embedded.restore_prefix(server) is False
    assert server.restored_tokens == 0
