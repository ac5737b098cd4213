"""The LLM phraser: one structured request per batch, constrained to exactly n strings."""

from __future__ import annotations

import pytest

from synthloop.agent.llm.errors import StructuredOutputError
from synthloop.agent.llm.fake import ScriptedLLM
from synthloop.agent.phrasing import llm_phraser, reply_schema
from synthloop.tools.text import Draft, Task


def _tasks() -> list[Task]:
    return [Task(draft=Draft(kind="caption_short", reference="Two people on site.")),
            Task(draft=Draft(kind="hard_hat:yes_no", reference="No, the person on the left wears "
                             "no hard hat.", question="Is everyone wearing a hard hat?",
                             expect_yes=False))]


def test_one_request_constrained_to_one_labelled_string_per_task():
    llm = ScriptedLLM([{"t1": "On site, two people.",
                        "t2": "No: the person on the left has no hard hat."}])
    out = llm_phraser(llm)(_tasks(), 0.7)
    assert out == ["On site, two people.", "No: the person on the left has no hard hat."]
    (call,) = llm.calls
    assert call.template == "phrase_texts" and call.variables["n"] == 2
    prompt = call.messages[-1]["content"]
    assert "t1. Caption: Two people on site." in prompt
    assert 't2. Answer (must start with "No") to "Is everyone wearing a hard hat?"' in prompt
    schema = reply_schema(2).model_json_schema()
    assert list(schema["properties"]) == ["t1", "t2"] and schema["required"] == ["t1", "t2"]


def test_a_reply_missing_a_text_is_repaired_once_then_raises():
    llm = ScriptedLLM([{"t1": "one"}, {"t1": "a", "t2": "b"}])
    assert llm_phraser(llm)(_tasks(), 0.2) == ["a", "b"]
    llm = ScriptedLLM([{"t1": "one"}, "not json"])
    with pytest.raises(StructuredOutputError):
        llm_phraser(llm)(_tasks(), 0.2)
