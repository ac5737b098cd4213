"""The real loop with the embedded LLM (no fake) at tiny settings: one targeted iteration
planned by the model, with whatever it proposes validated by code."""

from __future__ import annotations

import pytest

from synthloop.agent.llm import get_llm
from synthloop.agent.llm.embedded import running_server
from synthloop.agent.runner import start_run

from .helpers import quiet_context, tiny_settings

pytestmark = pytest.mark.slow


def test_one_iteration_planned_by_the_embedded_model(ws):
    from synthloop.tools.config import LLMConfig

    llm = get_llm(LLMConfig(timeout_s=900), workspace=ws)  # embedded: nothing configured
    try:
        out = start_run(ws, quiet_context(ws, llm), "workers wear PPE",
                        tiny_settings(iterations=1, example_policy="ppe",
                                      images_per_iteration=30), thread_id="t-real")
        # iteration 1 trained after the plan: the train node stopped the idle server
        # (it slows torch ~1.5x), and nothing needed it again
        assert running_server() is None
    finally:
        llm.close()
    st = out.state
    assert [h["iteration"] for h in st["history"]] == [0, 1]
    plan = st["plan"]
    # the model answered (valid or not); code decided what was generated, within budget
    calls = [c for c in ws.list_llm_calls() if c.template == "plan"]
    assert calls and calls[0].endpoint.startswith("embedded") and calls[0].completion_tokens > 0
    assert plan["source"] == "llm" or plan["source"].startswith("fallback")
    assert plan["floor"] + sum(t["count"] for t in plan["targets"]) == 30
    assert len(list(ws.iter_specs(iteration=1))) == 30
