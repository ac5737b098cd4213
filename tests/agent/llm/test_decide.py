"""Structured decisions and free text through ScriptedLLM: the real validation, repair
retry, truncation and accounting logic, with canned replies and no network."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from synthloop.agent.llm import (
    LLMUnavailable,
    RawReply,
    ReplyTruncated,
    ScriptedLLM,
    ScriptExhausted,
    StructuredOutputError,
    TransientLLMError,
)
from synthloop.tools.errors import ExternalError, ValidationError
from synthloop.tools.store import Workspace


class Pet(BaseModel):
    name: str = Field(max_length=20)
    species: Literal["cat", "dog"]
    age: int = Field(ge=0, le=30)


VARS = {"topic": "a pet"}


@pytest.fixture(autouse=True)
def _offline(no_network):
    return no_network


def test_valid_reply_first_time():
    llm = ScriptedLLM([{"name": "Rex", "species": "dog", "age": 3}])
    pet = llm.decide(Pet, "_test_decide", VARS)
    assert pet == Pet(name="Rex", species="dog", age=3)
    assert len(llm.calls) == 1 and llm.calls[0].parsed == pet and llm.calls[0].error is None
    assert llm.calls[0].schema is Pet and llm.calls[0].variables == VARS
    assert llm.calls[0].messages[-1]["content"] == "Give me a JSON object about a pet."
    assert llm.remaining == 0


def test_invalid_reply_is_retried_once_with_the_error_quoted():
    llm = ScriptedLLM([
        {"name": "Rex", "species": "horse", "age": 3},
        Pet(name="Rex", species="dog", age=3),
    ])
    pet = llm.decide(Pet, "_test_decide", VARS)
    assert pet.species == "dog"
    first, second = llm.calls
    assert "species" in first.error and first.parsed is None
    # the retry carries the bad reply and the validation error back to the model
    assert second.messages[-2] == {"role": "assistant", "content": first.reply}
    assert "species" in second.messages[-1]["content"]
    assert "'cat' or 'dog'" in second.messages[-1]["content"]
    assert second.messages[:-2] == first.messages


def test_second_failure_raises_with_the_raw_reply():
    llm = ScriptedLLM(['{"name": "Rex"}', "I think the pet is a dog called Rex."])
    with pytest.raises(StructuredOutputError) as exc:
        llm.decide(Pet, "_test_decide", VARS)
    err = exc.value
    assert isinstance(err, ExternalError) and err.exit_code == 2
    assert err.raw == "I think the pet is a dog called Rex."
    assert err.schema == "Pet" and "not JSON" in err.errors
    assert "_test_decide" in err.message and err.hint
    assert [c.error is not None for c in llm.calls] == [True, True]


def test_prose_with_embedded_json_is_accepted():
    llm = ScriptedLLM(['Sure! Here it is:\n```json\n{"name": "Tom", "species": "cat", "age": 2}\n```',
                       'Answer: {"name": "Tom", "species": "cat", "age": 2} -- hope it helps'])
    assert llm.decide(Pet, "_test_decide", VARS).name == "Tom"
    assert llm.decide(Pet, "_test_decide", VARS).name == "Tom"
    assert len(llm.calls) == 2  # no retries were needed


def test_truncated_reply_is_a_clear_error_without_retry():
    llm = ScriptedLLM([ScriptedLLM.truncated('{"name": "Rex", "spec'), Pet(name="x", species="cat", age=1)])
    with pytest.raises(ReplyTruncated, match="cut off at the token limit") as exc:
        llm.decide(Pet, "_test_decide", VARS, max_tokens=7)
    assert exc.value.raw == '{"name": "Rex", "spec'
    assert "(7)" in exc.value.message and "max_tokens" in exc.value.hint
    assert llm.remaining == 1


def test_callable_replies_see_the_schema_and_messages():
    seen = {}

    def reply(schema, messages):
        seen["schema"], seen["last"] = schema, messages[-1]["content"]
        return schema(name="Kit", species="cat", age=1)

    llm = ScriptedLLM([reply])
    assert llm.decide(Pet, "_test_decide", {"topic": "kittens"}).name == "Kit"
    assert seen == {"schema": Pet, "last": "Give me a JSON object about kittens."}


def test_complete_with_history():
    llm = ScriptedLLM(["a hard hat"])
    history = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]
    out = llm.complete("_test_chat", {"question": "what protects heads?"}, history=history)
    assert out == "a hard hat"
    roles = [m["role"] for m in llm.calls[0].messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert llm.calls[0].messages[-1]["content"] == "what protects heads?"
    with pytest.raises(ValidationError, match="history"):
        llm.complete("_test_chat", {"question": "x"}, history=[{"role": "robot", "content": "x"}])


def test_transient_failures_are_retried_then_give_up():
    llm = ScriptedLLM([TransientLLMError("down"), "fine"])
    assert llm.complete("_test_chat", {"question": "q"}) == "fine"
    assert [c.error for c in llm.calls] == ["down", None]
    llm = ScriptedLLM([TransientLLMError("down")] * 4)
    llm.max_retries = 3
    with pytest.raises(LLMUnavailable, match="gave up after 4 tries"):
        llm.complete("_test_chat", {"question": "q"})
    assert len(llm.calls) == 4 and llm.usage.failures == 4


def test_running_out_of_replies_names_the_template():
    llm = ScriptedLLM([])
    with pytest.raises(ScriptExhausted, match="ran out of replies"):
        llm.complete("_test_chat", {"question": "q"})


def test_accounting_rows_in_a_real_workspace(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    llm = ScriptedLLM(["nope", Pet(name="Rex", species="dog", age=3), "free text",
                       TransientLLMError("HTTP 503"), "{}", "{}"], workspace=ws)
    llm.decide(Pet, "_test_decide", VARS)
    llm.complete("_test_chat", {"question": "q"})
    with pytest.raises(LLMUnavailable):
        llm.max_retries = 0
        llm.complete("_test_chat", {"question": "q"})
    with pytest.raises(StructuredOutputError):
        llm.decide(Pet, "_test_decide", VARS)
    rows = ws.list_llm_calls()
    assert [r.template for r in rows] == ["_test_decide", "_test_decide", "_test_chat",
                                          "_test_chat", "_test_decide", "_test_decide"]
    assert rows[0].error.startswith("invalid reply") and rows[0].parsed is None
    assert json.loads(rows[1].parsed) == {"name": "Rex", "species": "dog", "age": 3}
    assert rows[2].reply == "free text" and rows[2].error is None and rows[2].parsed is None
    assert rows[3].error == "HTTP 503" and rows[3].reply == ""
    assert all(r.error for r in rows[4:])
    prompt = json.loads(rows[1].prompt)
    assert prompt[-1]["role"] == "user" and "not JSON" in prompt[-1]["content"]
    assert all(r.endpoint == "scripted" and r.model == "scripted" for r in rows)
    assert all(r.completion_tokens > 0 for r in rows if r.reply)
    ws.close()


def test_read_only_workspace_is_refused(tmp_path):
    Workspace.init(tmp_path / "ws").close()
    ro = Workspace.open(tmp_path / "ws", write=False)
    with pytest.raises(ValidationError, match="opened for writing"):
        ScriptedLLM([], workspace=ro)
    ro.close()


def test_raw_reply_objects_pass_through():
    llm = ScriptedLLM([RawReply('{"name": "A", "species": "cat", "age": 1}', "stop", 11, 7)])
    llm.decide(Pet, "_test_decide", VARS)
    assert (llm.usage.prompt_tokens, llm.usage.completion_tokens) == (11, 7)


def test_scripted_check_does_not_consume_the_script():
    llm = ScriptedLLM(["x"])
    result = llm.check()
    assert (result.endpoint, result.reply) == ("scripted", "ok")
    assert llm.remaining == 1 and llm.calls[-1].template == "(check)"
