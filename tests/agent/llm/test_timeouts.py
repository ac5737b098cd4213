"""An endpoint that accepts connections but never answers is reported after a short
first-byte timeout (not llm.timeout_s); a reply that keeps streaming may take longer; a
spinner with the elapsed time shows on a terminal during every call."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from synthloop.agent.cli import run
from synthloop.agent.llm import LLM, LLMUnavailable
from synthloop.tools.config import LLMConfig
from tests.support.stub_server import SilentServer, StubServer, chat_reply

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, no_network):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SYNTHLOOP_LLM_BASE_URL",
                "SYNTHLOOP_LLM_MODEL", "SYNTHLOOP_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def _llm(url: str, **kw) -> LLM:
    llm = LLM(LLMConfig(base_url=url, model="stub-model", **kw))
    llm.retry_base_s = 0.01
    return llm


def test_a_silent_endpoint_fails_after_the_first_byte_timeout_not_timeout_s():
    with SilentServer() as silent:
        llm = _llm(silent.url, first_byte_s=0.5, timeout_s=600, max_retries=1)
        t0 = time.monotonic()
        with pytest.raises(LLMUnavailable) as exc:
            llm.complete("_test_chat", {"question": "hi"})
        took = time.monotonic() - t0
    assert took < 5, took
    assert len(silent.accepted) == 2  # one try and one retry
    msg = exc.value.one_line()
    assert "did not answer within 0.5 s" in msg and "accepted the connection" in msg
    assert "first_byte_s" in msg and silent.url in msg


def test_the_default_first_byte_timeout_is_short():
    cfg = LLMConfig(base_url="http://127.0.0.1:1/v1")
    assert LLM(cfg).first_byte_s == 30 and cfg.timeout_s == 600


def test_cli_llm_check_and_design_report_a_silent_endpoint_at_once(monkeypatch, capsys, tmp_path):
    with SilentServer() as silent:
        monkeypatch.setenv("SYNTHLOOP_LLM_BASE_URL", silent.url)
        monkeypatch.setenv("SYNTHLOOP_LLM_MODEL", "m")
        monkeypatch.setenv("SYNTHLOOP_LLM__FIRST_BYTE_S", "1")
        t0 = time.monotonic()
        assert run(["llm", "check"]) == 2
        assert time.monotonic() - t0 < 6 and len(silent.accepted) == 1  # one try: a check
        err = capsys.readouterr().err
        assert f"the LLM endpoint {silent.url} did not answer within 1 s" in err
        monkeypatch.setenv("SYNTHLOOP_LLM__MAX_RETRIES", "0")
        t0 = time.monotonic()
        code = run(["--workspace", str(tmp_path / "ws"), "design",
                    "workers wear a hard hat and a hi-vis vest"])
        assert code == 2 and time.monotonic() - t0 < 15
    assert "did not answer within 1 s" in capsys.readouterr().err


def test_a_reply_that_keeps_streaming_may_outlast_the_first_byte_timeout():
    content = "a" * 60  # streamed in 3 pieces, 0.4 s apart: 1.6 s in all
    with StubServer([(200, chat_reply(content))], chunk_delay_s=0.4) as stub:
        llm = _llm(stub.url, first_byte_s=0.3, timeout_s=5, max_retries=0)
        assert llm.complete("_test_chat", {"question": "hi"}) == content
    assert stub.chat_requests[0]["json"]["stream"] is True
    assert llm.calls[-1].latency_s > 1.2 and llm.calls[-1].completion_tokens == 5


def test_a_reply_that_stops_streaming_fails_after_timeout_s():
    with StubServer([(200, chat_reply("a" * 60))], chunk_delay_s=1.5) as stub:
        llm = _llm(stub.url, first_byte_s=0.3, timeout_s=0.5, max_retries=0)
        with pytest.raises(LLMUnavailable, match="stopped sending its reply for 0.5 s"):
            llm.complete("_test_chat", {"question": "hi"})
    assert len(stub.chat_requests) == 1


def test_every_call_shows_a_spinner_with_the_elapsed_time(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr("synthloop.agent.llm.status._console",
                        Console(file=screen, force_terminal=True, width=150))
    with StubServer([(200, chat_reply("ok"))], delay_s=1.2) as stub:
        llm = _llm(stub.url, max_retries=0)
        assert llm.complete("_test_chat", {"question": "hi"}) == "ok"
    out = screen.getvalue()
    assert f"LLM _test_chat: waiting for {stub.url} (0 s)" in out
    assert f"LLM _test_chat: waiting for {stub.url} (1 s)" in out  # the clock moves
