"""The real loop with the embedded LLM (no fake) at tiny settings: one targeted iteration
planned by the model, with whatever it proposes validated by code."""

from __future__ import annotations

import pytest

from synthloop.agent.llm import get_llm
from synthloop.agent.llm.embedded import running_server
from synthloop.agent.runner import start_run
from synthloop.tools.config import LLMConfig
from tests.support.loop import quiet_context, tiny_settings

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
    if plan["candidates"]:  # the model is asked only when the analysis found candidates
        assert calls and calls[0].endpoint.startswith("embedded") and calls[0].completion_tokens > 0
        assert plan["candidates"][0] in calls[0].prompt
        assert plan["source"] == "llm" or plan["source"].startswith("fallback")
    else:
        assert not calls and plan["source"] == "allocator: no candidates to choose from"
    # the model could only name the analysis' candidates (an enum in its JSON schema)
    named = [t["candidate"] for t in plan["targets"] if t["purpose"] == "exploit"]
    assert all(c in plan["candidates"] for c in named) and len(named) == len(set(named))
    assert plan["floor"] + sum(t["count"] for t in plan["targets"]) == 30
    assert len(list(ws.iter_specs(iteration=1))) == 30


def test_the_embedded_model_chooses_among_candidates_and_cites_them(ws):
    """One real plan call on planted candidates: the enum keeps the 1.5B model to the ids,
    and code accepts a choice only with its numbers in the hypothesis."""
    from synthloop.agent.planning import choice_schema, validate_choice
    from synthloop.agent.planning.weakness_step import candidate_lines
    from synthloop.tools.analysis import Candidate, WeaknessAnalysis
    from tests.support.factories import hard_hat_policy

    def cand(cid, key, fixed, cls, found, support, gain):
        return Candidate(id=cid, kind="condition", key=key, cls=cls, fixed=fixed,
                         support=support, found=found, recall=round(found / support, 2),
                         reference=0.85, reference_label="expected", z=-4.5,
                         excess_misses=gain, expected_gain=gain)
    analysis = WeaknessAnalysis(candidates=[
        cand("C1", "lighting=night × hard_hat", {"lighting": "night"}, "hard_hat", 8, 40, 26.0),
        cand("C2", "lighting=day × person", {"lighting": "day"}, "person", 30, 50, 12.5)])
    policy = hard_hat_policy()
    llm = get_llm(LLMConfig(timeout_s=900), workspace=ws)
    try:
        reply = llm.decide(choice_schema(["C1", "C2"], ["lighting"]), "plan", {
            "goal": policy.goal, "budget": 80, "candidates": candidate_lines(analysis),
            "notes": "none", "axes": "lighting: day, night"}, temperature=0)
    finally:
        llm.close()
    assert {c.candidate for c in reply.choices} <= {"C1", "C2"}
    v = validate_choice(reply, analysis=analysis, policy=policy, budget=90, floor=10)
    assert v.total() == 90
    # either the model's choice with cited numbers, or a refusal that says why
    assert v.source == "llm" or (v.source.startswith("fallback") and v.dropped)
