"""The stage split a run prints (and evals/bench_loop.py reports): LLM time from the run's
own llm_calls rows, the LLM-calling nodes' remaining time under other, shares of the total."""

from __future__ import annotations

import pytest

from synthloop.agent.stage_split import split_line, stage_split
from synthloop.tools.models import LLMCall


def test_the_split_counts_only_the_runs_calls_and_sums_to_the_total(ws):
    ws.log_llm_call(LLMCall(template="earlier_run", latency_s=99.0))
    before = len(ws.list_llm_calls())
    ws.log_llm_call(LLMCall(template="draft_policy", prompt_tokens=900, prompt_cached=800,
                            completion_tokens=200, latency_s=12.0, prompt_s=2.5))
    ws.log_llm_call(LLMCall(template="plan", latency_s=0.0, cached=True))
    timings = [("draft", 14.0), ("design", 1.0), ("generate", 5.0), ("train", 60.0),
               ("evaluate", 4.0), ("analyse", 1.0), ("plan", 3.0)]
    split = stage_split(ws, timings, 100.0, calls_before=before)
    assert split["stages_s"] == {"llm": 12.0, "generation": 5.0, "training": 60.0,
                                 "evaluation": 5.0, "other": 18.0}
    assert sum(split["stages_s"].values()) == pytest.approx(100.0)
    assert split["share"]["llm"] == 0.12
    first, replay = split["llm_calls"]
    assert first == {"template": "draft_policy", "prompt_tokens": 900, "prompt_cached": 800,
                     "completion_tokens": 200, "seconds": 12.0, "prompt_s": 2.5,
                     "replayed": False, "ok": True}
    assert replay["replayed"] and replay["seconds"] == 0.0
    line = split_line(split)
    assert line.startswith("time: 100 s - LLM 12 s (12%: draft_policy 12, plan 0 (replayed))")
    assert "training 60 s" in line and "other 18 s" in line
