"""The LLM reply cache (issue 16): an identical request is answered from the workspace, not
sent again (the stub server's request count proves it); anything that shapes the reply
misses; errors, truncated replies and failed decisions are never kept; the switches turn it
off; no secret is stored; and a resumed run or a re-executed `design` replays its replies."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from synthloop.agent.cli import run
from synthloop.agent.llm import LLM, LLMUnavailable, ReplyTruncated, StructuredOutputError
from synthloop.agent.llm.cache import request_key
from synthloop.tools.config import load_config
from synthloop.tools.store import Workspace
from tests.support.llm_replies import HARD_HAT_AXES, HARD_HAT_DRAFT, HARD_HAT_SCENARIOS
from tests.support.stub_server import StubServer, chat_reply, error_body, stub_llm

REX = '{"name": "Rex", "age": 3}'


class Pet(BaseModel):
    name: str
    age: int


class Dog(BaseModel):  # the same fields under another name: another schema
    name: str
    age: int


def make_llm(url: str, workspace=None, **kw) -> LLM:
    return stub_llm(url, workspace, **{"max_retries": 0, **kw})


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, no_network):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SYNTHLOOP_LLM_BASE_URL",
                "SYNTHLOOP_LLM_MODEL", "SYNTHLOOP_LLM_API_KEY", "SYNTHLOOP_LLM__CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SYNTHLOOP_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def test_an_identical_decide_replays_without_a_request(ws):
    with StubServer([(200, chat_reply(REX, prompt_tokens=40, completion_tokens=9))]) as stub:
        llm = make_llm(stub.url, ws)
        first = llm.decide(Pet, "_test_decide", {"topic": "dogs"})
        again = llm.decide(Pet, "_test_decide", {"topic": "dogs"})
        # a new client on the same workspace (a resumed process) replays it too
        other = make_llm(stub.url, ws).decide(Pet, "_test_decide", {"topic": "dogs"})
    assert first == again == other == Pet(name="Rex", age=3)
    assert len(stub.chat_requests) == 1
    assert llm.usage.requests == 1 and llm.usage.cached == 1
    assert llm.usage.completion_tokens == 9  # a replay spends nothing
    rows = ws.list_llm_calls()
    assert [r.cached for r in rows] == [False, True, True]
    assert rows[1].reply == REX and rows[1].parsed and rows[1].completion_tokens == 0
    assert rows[1].latency_s < 0.5
    assert ws.llm_usage()[:2] == (40, 9) and ws.llm_cache_hits() == 2


def test_free_text_is_replayed_and_check_never_is(ws):
    with StubServer([(200, chat_reply("Hard hats save lives."))]) as stub:
        llm = make_llm(stub.url, ws)
        assert llm.complete("_test_chat", {"question": "why?"}) == "Hard hats save lives."
        assert llm.complete("_test_chat", {"question": "why?"}) == "Hard hats save lives."
        assert len(stub.chat_requests) == 1
        llm.check()
        llm.check()
    assert len(stub.chat_requests) == 3


@pytest.mark.parametrize("change", ["prompt", "schema", "temperature", "max_tokens", "model"])
def test_anything_that_shapes_the_reply_misses(ws, change):
    with StubServer([(200, chat_reply(REX))]) as stub:
        make_llm(stub.url, ws).decide(Pet, "_test_decide", {"topic": "dogs"})
        llm = make_llm(stub.url, ws, model="other-model" if change == "model" else "stub-model")
        llm.decide(Dog if change == "schema" else Pet, "_test_decide",
                   {"topic": "cats" if change == "prompt" else "dogs"},
                   temperature=0.7 if change == "temperature" else None,
                   max_tokens=100 if change == "max_tokens" else None)
    assert len(stub.chat_requests) == 2 and llm.usage.cached == 0


def test_the_key_covers_model_messages_schema_and_sampling_but_no_endpoint():
    msgs = [{"role": "user", "content": "hi"}]
    base = request_key("m", msgs, None, temperature=0.2, max_tokens=10)
    assert base == request_key("m", [dict(m) for m in msgs], None, temperature=0.2, max_tokens=10)
    assert len({base, request_key("n", msgs, None, temperature=0.2, max_tokens=10),
                request_key("m", msgs, {"type": "json_object"}, temperature=0.2, max_tokens=10),
                request_key("m", msgs, None, temperature=0.0, max_tokens=10),
                request_key("m", msgs, None, temperature=0.2, max_tokens=11),
                request_key("m", msgs, None, temperature=0.2, max_tokens=10, seed=1)}) == 6


def test_two_endpoints_of_the_same_model_share_replies(ws):
    with StubServer([(200, chat_reply(REX))]) as a, StubServer([(200, chat_reply(REX))]) as b:
        make_llm(a.url, ws).decide(Pet, "_test_decide", {"topic": "dogs"})
        make_llm(b.url, ws).decide(Pet, "_test_decide", {"topic": "dogs"})
    assert len(a.chat_requests) == 1 and b.chat_requests == []


def test_truncated_and_failed_replies_are_not_kept(ws):
    script = [(200, chat_reply('{"name": "Re', finish_reason="length")),
              (500, error_body("boom")), (200, chat_reply(REX))]
    with StubServer(script) as stub:
        llm = make_llm(stub.url, ws)
        with pytest.raises(ReplyTruncated):
            llm.decide(Pet, "_test_decide", {"topic": "dogs"})
        with pytest.raises(LLMUnavailable):
            llm.decide(Pet, "_test_decide", {"topic": "dogs"})
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}) == Pet(name="Rex", age=3)
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}) == Pet(name="Rex", age=3)
    assert len(stub.chat_requests) == 3 and llm.usage.cached == 1
    assert ws.conn.execute("SELECT COUNT(*) FROM llm_replies").fetchone()[0] == 1


def test_a_decision_that_failed_validation_is_asked_again(ws):
    with StubServer([(200, chat_reply("no json here"))]) as stub:
        llm = make_llm(stub.url, ws)
        for _ in range(2):
            with pytest.raises(StructuredOutputError):
                llm.decide(Pet, "_test_decide", {"topic": "dogs"})
    assert len(stub.chat_requests) == 4 and llm.usage.cached == 0  # "try again" tries again


def test_a_repaired_decision_replays_both_of_its_steps(ws):
    with StubServer([(200, chat_reply("not json")), (200, chat_reply(REX))]) as stub:
        llm = make_llm(stub.url, ws)
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}) == Pet(name="Rex", age=3)
        n = len(llm.calls)
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}) == Pet(name="Rex", age=3)
    assert len(stub.chat_requests) == 2
    replay = llm.calls[n:]
    assert [c.cached for c in replay] == [True, True]
    assert replay[0].error and replay[0].error.startswith("invalid reply")
    assert replay[1].parsed == Pet(name="Rex", age=3)


def test_a_temperature_above_zero_is_replayed_too(ws):
    with StubServer([(200, chat_reply(REX)), (200, chat_reply('{"name": "Max", "age": 5}'))]) as stub:
        llm = make_llm(stub.url, ws, temperature=1.0)
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}).name == "Rex"
        assert llm.decide(Pet, "_test_decide", {"topic": "dogs"}).name == "Rex"
    assert len(stub.chat_requests) == 1


def test_the_cache_off_sends_again(ws, tmp_path):
    with StubServer([(200, chat_reply(REX))]) as stub:
        make_llm(stub.url, ws).decide(Pet, "_test_decide", {"topic": "dogs"})
        off = make_llm(stub.url, ws, cache=False)
        off.decide(Pet, "_test_decide", {"topic": "dogs"})
        assert len(stub.chat_requests) == 2 and off.usage.cached == 0
        nowhere = make_llm(stub.url)  # no workspace (a benchmark's client): nothing to keep
        nowhere.decide(Pet, "_test_decide", {"topic": "dogs"})
        nowhere.decide(Pet, "_test_decide", {"topic": "dogs"})
    assert len(stub.chat_requests) == 4 and nowhere.cache is None
    assert load_config(None, env={}).llm.cache is True
    assert load_config(None, env={"SYNTHLOOP_LLM__CACHE": "false"}).llm.cache is False
    (tmp_path / "synthloop.toml").write_text("[llm]\ncache = false\n")
    assert load_config(tmp_path, env={}).llm.cache is False


def _db_bytes(root) -> bytes:
    return b"".join(p.read_bytes() for p in root.iterdir() if p.name.startswith("synthloop.db"))


def test_no_secret_is_stored(ws, monkeypatch):
    secret = "hf_" + "Q" * 8 + "secretvalue1234"
    monkeypatch.setenv("HF_TOKEN", secret)
    leaky = json.dumps({"name": secret, "age": 3})
    with StubServer([(200, chat_reply(REX)), (200, chat_reply(leaky))]) as stub:
        llm = make_llm(stub.url, ws)
        # a secret in the prompt: the reply is kept (under a key of the redacted prompt)
        llm.decide(Pet, "_test_decide", {"topic": f"dogs {secret}"})
        llm.decide(Pet, "_test_decide", {"topic": f"dogs {secret}"})
        assert len(stub.chat_requests) == 1 and llm.usage.cached == 1
        # a secret in the reply: not kept (a redacted replay would not be that reply)
        for _ in range(2):
            assert llm.decide(Pet, "_test_decide", {"topic": "cats"}).name == secret
    assert len(stub.chat_requests) == 3
    ws.conn.execute("PRAGMA wal_checkpoint(FULL)")
    assert ws.conn.execute("SELECT COUNT(*) FROM llm_replies").fetchone()[0] == 1
    assert secret.encode() not in _db_bytes(ws.root)


def _design_stub():
    replies = {"PolicyDraft": HARD_HAT_DRAFT, "ScenarioWordings4": HARD_HAT_SCENARIOS,
               "AxisList": HARD_HAT_AXES}

    def answer(body):
        name = body["response_format"]["json_schema"]["name"]
        return 200, chat_reply(json.dumps(replies[name]))
    return StubServer([answer])


def test_a_re_executed_design_replays_its_replies(tmp_path, monkeypatch, capsys):
    w = str(tmp_path / "ws")
    with _design_stub() as stub:
        monkeypatch.setenv("SYNTHLOOP_LLM_BASE_URL", stub.url)
        monkeypatch.setenv("SYNTHLOOP_LLM_MODEL", "stub-model")
        assert run(["-w", w, "design", "Workers wear a hard hat"]) == 0
        sent = len(stub.chat_requests)
        assert sent == 3  # draft, scenarios, axes
        assert run(["-w", w, "design", "Workers wear a hard hat"]) == 0
        assert len(stub.chat_requests) == sent  # no request reached the server
        assert run(["-w", w, "design", "Workers wear a hard hat", "--no-cache"]) == 0
        assert len(stub.chat_requests) == 2 * sent
        assert run(["-w", w, "status"]) == 0
    from synthloop.agent.cli.status import _llm_detail

    with Workspace.open(w) as ws:
        assert _llm_detail(ws).endswith("; 3 replayed from the reply cache")
        p1, p2, p3 = (ws.get_policy(v) for v in (1, 2, 3))
        assert p1.content_hash() == p2.content_hash() == p3.content_hash()
        assert [c.cached for c in ws.list_llm_calls()] == [False] * 3 + [True] * 3 + [False] * 3


def test_a_resumed_run_replays_the_step_it_re_executes(tmp_path, monkeypatch):
    """Ctrl-C arrives just after the draft's reply, before the policy is stored: the
    resumed run executes the draft step again, and its reply comes from the cache."""
    from synthloop.agent import design as design_mod
    from synthloop.agent.runner import resume_run, run_info, start_run
    from tests.support.loop import quiet_context, tiny_settings

    real = design_mod.draft_policy
    stops = []

    def draft_then_ctrl_c(*a, **kw):
        out = real(*a, **kw)
        if not stops:
            stops.append(1)
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(design_mod, "draft_policy", draft_then_ctrl_c)
    root = tmp_path / "ws"
    with _design_stub() as stub:
        with Workspace.init(root) as ws:
            with pytest.raises(KeyboardInterrupt):
                start_run(ws, quiet_context(ws, make_llm(stub.url, ws)), "workers wear hard hats",
                          tiny_settings(auto_approve=False), thread_id="t-cache")
            assert len(stub.chat_requests) == 1 and ws.list_policies() == []
        with Workspace.open(root, write=True) as ws:  # a new process: new workspace, new client
            assert run_info(ws, "t-cache")["next"] == ["draft"]
            llm = make_llm(stub.url, ws)
            out = resume_run(ws, quiet_context(ws, llm), "t-cache")
            assert out.paused is not None and len(ws.list_policies()) == 1
            assert len(stub.chat_requests) == 1  # no request reached the server
            assert llm.usage.requests == 0 and llm.usage.cached == 1
            assert [(c.template, c.cached) for c in ws.list_llm_calls()] == [
                ("draft_policy", False), ("draft_policy", True)]
