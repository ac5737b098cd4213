"""llm_calls keeps where a call's time went (schema v5): prompt tokens the server reused from
its KV cache and its prompt-evaluation seconds; a version-4 workspace gains both columns."""

from __future__ import annotations

from synthloop.tools.models import LLMCall
from synthloop.tools.store import Workspace
from tests.support.old_schema import rewind_schema


def test_prompt_cache_figures_are_stored_and_read_back(ws):
    ws.log_llm_call(LLMCall(template="plan", prompt_tokens=700, prompt_cached=583,
                            completion_tokens=60, latency_s=9.9, prompt_s=3.2))
    ws.log_llm_call(LLMCall(template="draft_policy", prompt_tokens=10))  # another endpoint
    plan, draft = ws.list_llm_calls()
    assert (plan.prompt_cached, plan.prompt_s) == (583, 3.2)
    assert (draft.prompt_cached, draft.prompt_s) == (0, None)


def test_a_version_4_workspace_gains_the_timing_columns(tmp_path):
    Workspace.init(tmp_path / "ws").close()
    rewind_schema(tmp_path / "ws", 4, "ALTER TABLE llm_calls DROP COLUMN prompt_cached",
                  "ALTER TABLE llm_calls DROP COLUMN prompt_s")
    with Workspace.open(tmp_path / "ws", write=True) as ws:
        ws.log_llm_call(LLMCall(template="plan", prompt_tokens=5, prompt_cached=4, prompt_s=0.1))
        assert ws.list_llm_calls()[0].prompt_cached == 4
