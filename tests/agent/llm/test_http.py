"""LLM against a local OpenAI-compatible stub: retries, auth and connection errors, the
request it sends, the CLI's `llm check`, and API keys never reaching the store or logs."""

from __future__ import annotations

import json
import socket

import pytest
from pydantic import BaseModel

from synthloop.agent.cli import run
from synthloop.agent.cli.app import setup_logging
from synthloop.agent.llm import (
    LLM,
    LLMAuthError,
    LLMUnavailable,
    ReplyTruncated,
    StructuredOutputError,
)
from synthloop.tools.config import LLMConfig
from synthloop.tools.store import Workspace
from tests.support.stub_server import StubServer, chat_reply, error_body, stub_llm


class Pet(BaseModel):
    name: str
    age: int


def make_llm(url: str, workspace=None, **kw) -> LLM:
    return stub_llm(url, workspace, **{"max_retries": 2, **kw})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, no_network):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SYNTHLOOP_LLM_BASE_URL",
                "SYNTHLOOP_LLM_MODEL", "SYNTHLOOP_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SYNTHLOOP_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def test_500_then_200_is_retried():
    with StubServer([(500, error_body("boom")), (200, chat_reply('{"name": "Rex", "age": 3}'))]) as stub:
        llm = make_llm(stub.url)
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}) == Pet(name="Rex", age=3)
    assert len(stub.chat_requests) == 2
    assert [c.error is not None for c in llm.calls] == [True, False]
    assert "HTTP 500" in llm.calls[0].error


def test_request_carries_schema_model_and_limits():
    with StubServer([(200, chat_reply('{"name": "Rex", "age": 3}'))]) as stub:
        llm = make_llm(stub.url, model="my-model", max_tokens=333, temperature=0.1)
        llm.decide(Pet, "_test_decide", {"topic": "dogs"})
    body = stub.chat_requests[0]["json"]
    assert body["model"] == "my-model" and body["max_tokens"] == 333
    assert body["temperature"] == 0.1 and "tools" not in body
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Pet"
    assert fmt["json_schema"]["schema"]["required"] == ["name", "age"]
    assert body["messages"][-1] == {"role": "user", "content": "Give me a JSON object about dogs."}


def test_429_honours_retry_after_and_gives_up_naming_the_endpoint():
    with StubServer([(429, error_body("slow down"), {"Retry-After": "0.05"})]) as stub:
        llm = make_llm(stub.url, max_retries=2)
        with pytest.raises(LLMUnavailable) as exc:
            llm.complete("_test_chat", {"question": "hi"})
    assert len(stub.chat_requests) == 3
    msg = exc.value.one_line()
    assert stub.url in msg and "HTTP 429" in msg and "gave up after 3 tries" in msg


def test_401_is_a_clear_auth_error_without_the_key():
    key = "sk-planted-0123456789abcdefXYZ"
    with StubServer([(401, error_body(f"Incorrect API key provided: {key}"))]) as stub:
        llm = make_llm(stub.url, api_key=key)
        with pytest.raises(LLMAuthError) as exc:
            llm.complete("_test_chat", {"question": "hi"})
    assert len(stub.chat_requests) == 1  # not retried
    assert stub.chat_requests[0]["headers"]["authorization"] == f"Bearer {key}"
    line = exc.value.one_line()
    assert "rejected the API key" in line and stub.url in line and key not in line


def test_unreachable_port_names_the_endpoint():
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = make_llm(url, max_retries=1)
    with pytest.raises(LLMUnavailable) as exc:
        llm.complete("_test_chat", {"question": "hi"})
    assert f"cannot reach the LLM endpoint {url}" in exc.value.message
    assert "SYNTHLOOP_LLM_BASE_URL" in exc.value.hint
    assert exc.value.exit_code == 2 and len(llm.calls) == 2


def test_timeout_is_retried_then_reported():
    with StubServer([(200, chat_reply("late"))], delay_s=1.0) as stub:
        llm = make_llm(stub.url, max_retries=1, timeout_s=0.2)
        with pytest.raises(LLMUnavailable, match="did not answer within 0.2 s"):
            llm.complete("_test_chat", {"question": "hi"})
    assert len(stub.chat_requests) == 2


def test_truncated_and_400_replies():
    with StubServer([(200, chat_reply('{"name": "R', finish_reason="length")),
                     (400, error_body("response_format json_schema not supported"))]) as stub:
        llm = make_llm(stub.url)
        with pytest.raises(ReplyTruncated):
            llm.decide(Pet, "_test_decide", {"topic": "dogs"})
        with pytest.raises(LLMUnavailable, match="refused the request .HTTP 400.: response_format"):
            llm.decide(Pet, "_test_decide", {"topic": "dogs"})


def test_model_defaults_to_the_servers_first_model():
    with StubServer([(200, chat_reply("ok"))], models=["served-model"]) as stub:
        llm = LLM(LLMConfig(base_url=stub.url))
        assert llm.complete("_test_chat", {"question": "hi"}) == "ok"
    assert llm.model == "served-model" and stub.chat_requests[0]["json"]["model"] == "served-model"


def test_cli_llm_check_with_a_base_url(monkeypatch, capsys):
    with StubServer([(200, chat_reply("ok"))]) as stub:
        monkeypatch.setenv("SYNTHLOOP_LLM_BASE_URL", stub.url)
        monkeypatch.setenv("SYNTHLOOP_LLM_MODEL", "stub-model")
        assert run(["llm", "check", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["endpoint"] == stub.url and out["kind"] == "remote"
    assert out["model"] == "stub-model" and out["reply"] == "ok" and out["latency_s"] >= 0


def test_cli_llm_check_401_exits_2_with_one_line(monkeypatch, capsys):
    key = "plantedkey-for-cli-0123456789"
    with StubServer([(401, error_body("invalid key"))]) as stub:
        monkeypatch.setenv("SYNTHLOOP_LLM_BASE_URL", stub.url)
        monkeypatch.setenv("OPENAI_API_KEY", key)
        code = run(["llm", "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "rejected the API key" in err and key not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1


def test_cli_llm_check_unreachable_exits_2(monkeypatch, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("SYNTHLOOP_LLM_BASE_URL", url)
    monkeypatch.setenv("SYNTHLOOP_LLM_MODEL", "m")
    monkeypatch.setenv("SYNTHLOOP_LLM__MAX_RETRIES", "0")
    assert run(["llm", "check"]) == 2
    assert f"cannot reach the LLM endpoint {url}" in capsys.readouterr().err


def test_api_keys_never_reach_the_store_or_the_log(tmp_path, monkeypatch):
    env_key = "plantedenvsecret-7f3a9c1d2e"        # not key-shaped: caught as a known secret
    cfg_key = "sk-planted-config-key-0123456789"   # key-shaped
    monkeypatch.setenv("OPENAI_API_KEY", env_key)
    ws = Workspace.init(tmp_path / "ws")
    setup_logging(ws.log_path, verbose=True)
    leak = f"here is {env_key} and {cfg_key}"
    with StubServer([(200, chat_reply(leak)), (200, chat_reply(leak)), (200, chat_reply(leak)),
                     (401, error_body(f"bad key {cfg_key}"))]) as stub:
        llm = make_llm(stub.url, api_key=cfg_key, workspace=ws)
        assert llm.complete("_test_chat", {"question": f"my key is {env_key} / {cfg_key}"}) == leak
        with pytest.raises(StructuredOutputError) as exc:
            llm.decide(Pet, "_test_decide", {"topic": cfg_key})
        with pytest.raises(LLMAuthError):
            llm.complete("_test_chat", {"question": "again"})
    assert stub.chat_requests[0]["headers"]["authorization"] == f"Bearer {cfg_key}"
    assert env_key not in exc.value.message and cfg_key not in exc.value.message
    rows = ws.list_llm_calls()
    assert len(rows) == 4 and "***" in rows[0].reply and "***" in rows[0].prompt
    ws.close()
    blobs = {p.name: p.read_bytes() for p in (tmp_path / "ws").rglob("*") if p.is_file()}
    assert "synthloop.db" in blobs and "synthloop.log" in blobs
    assert b"llm _test_chat" in blobs["synthloop.log"]  # the debug log did record the calls
    for name, data in blobs.items():
        for secret in (env_key, cfg_key):
            assert secret.encode() not in data, f"{secret} leaked into {name}"


def test_embedded_timeouts_are_not_retried():
    import httpx
    import openai

    from synthloop.agent.llm import TransientLLMError

    timeout = openai.APITimeoutError(request=httpx.Request("POST", "http://127.0.0.1:1/v1"))
    embedded = LLM(LLMConfig(timeout_s=5), embedded=True)
    remote = LLM(LLMConfig(base_url="http://127.0.0.1:1/v1", timeout_s=5))
    assert not isinstance(embedded._error(timeout), TransientLLMError)
    assert isinstance(remote._error(timeout), TransientLLMError)
    assert "did not answer within 5 s" in embedded._error(timeout).message
