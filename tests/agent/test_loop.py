"""The improvement loop end-to-end with the scripted LLM and tiny real tools."""

from __future__ import annotations

import pytest

from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.runner import resume_run, run_info, start_run
from tests.support.llm_replies import HARD_HAT_AXES, HARD_HAT_DRAFT, HARD_HAT_SCENARIOS
from tests.support.loop import planted_evaluate, quiet_context, tiny_settings

pytestmark = pytest.mark.slow


def test_two_iterations_target_the_slice_the_report_made_weak(ws, monkeypatch):
    monkeypatch.setattr("synthloop.agent.nodes.evaluate.evaluate_model", planted_evaluate())
    # draft, scenarios, axes; then the planner's reply is malformed twice -> allocator
    llm = ScriptedLLM([HARD_HAT_DRAFT, HARD_HAT_SCENARIOS, HARD_HAT_AXES, "no json here",
                       "still prose"], workspace=ws)
    out = start_run(ws, quiet_context(ws, llm), "workers wear hard hats",
                    tiny_settings(iterations=1, holdout_images=80), thread_id="t-loop")
    st = out.state
    assert out.paused is None and st["stop_reason"].startswith("maximum iterations")
    assert [h["iteration"] for h in st["history"]] == [0, 1]
    plan = st["plan"]
    assert plan["source"].startswith("fallback: LLM failed")
    first = plan["targets"][0]
    assert first["key"] == "lighting=night × hard_hat" and first["candidate"] == "C1"
    assert first["fixed"] == {"lighting": "night"} and first["cls"] == "hard_hat"
    assert "found" in first["evidence"] and first["near_miss"]
    # the planner was shown the candidates, by id, with their numbers
    plan_calls = [c for c in llm.calls if c.template == "plan"]
    assert plan_calls and "C1 lighting=night × hard_hat" in plan_calls[0].messages[-1]["content"]
    # targeted images really are night images with hard hats, and were generated
    policy_version = st["policy_version"]
    targeted = [s for s in ws.iter_specs(policy_version=policy_version, iteration=1)
                if s.origin.startswith("targeted lighting=night")]
    assert len(targeted) == first["count"]
    assert all(s.variables["lighting"] == "night" for s in targeted)
    assert all(any(b.cls == "hard_hat" for b in s.layout) for s in targeted)
    near = [s for s in targeted if s.origin.endswith("(near miss)")]
    assert len(near) == first["near_miss_count"] > 0
    combos = [tuple(sorted(m.items())) for m in first["near_miss"]]
    assert all(tuple(sorted({**s.variables, "scenario": s.scenario_id}.items())) in combos
               for s in near)  # near misses re-use the missed images' exact variables
    assert ws.spec_ids_with_samples(s.id for s in targeted) == {s.id for s in targeted}
    # everything is stored: two iterations, one training run each, plans with their source
    its = ws.list_iterations("t-loop")
    assert [i.number for i in its] == [0, 1] and its[1].plan_source.startswith("fallback")
    assert its[-1].stop_reason and len({i.train_run_id for i in its}) == 2
    assert all(r.status == "finished" for r in ws.list_train_runs())
    assert ws.is_approved(policy_version)
    assert st["report_page"].endswith("index.html")
    # the end-of-run summary: the target's recall before -> after, and where images went
    from synthloop.agent.targeting_summary import summarise_targeting, targeting_line

    s = summarise_targeting(ws, "t-loop")
    row = next(r for r in s.rows if r["key"] == "lighting=night × hard_hat")
    assert row["before"] == 0.0 and row["after"] == 0.0  # the planted model never finds them
    assert s.added == 12 and s.targeted > s.uniform
    assert f"uniform would have put {s.uniform} there" in targeting_line(s)
    assert st["plan_outcomes"][0]["key"] == "lighting=night × hard_hat"
    from pathlib import Path

    page = Path(st["report_page"]).read_text()
    assert "Weakness analysis" in page and "What the last plan's targets did" in page


def test_valid_llm_plan_is_followed(ws, monkeypatch):
    monkeypatch.setattr("synthloop.agent.nodes.evaluate.evaluate_model", planted_evaluate())
    plan = {"rationale": "night", "choices": [
        {"candidate": "C1", "share": 100, "hypothesis": "hats vanish at night: recall 0.00"}]}
    llm = ScriptedLLM([HARD_HAT_DRAFT, HARD_HAT_SCENARIOS, HARD_HAT_AXES, plan], workspace=ws)
    released = []
    monkeypatch.setattr("synthloop.agent.nodes.train.release_for_training", lambda: released.append(1))
    out = start_run(ws, quiet_context(ws, llm), "workers wear hard hats",
                    tiny_settings(iterations=1, images_per_iteration=20, holdout_images=80),
                    thread_id="t-plan")
    assert len(released) == 2  # the embedded LLM is let go before each of the 2 trainings
    p = out.state["plan"]
    assert p["source"] == "llm" and p["floor"] + sum(t["count"] for t in p["targets"]) == 20
    assert p["targets"][0]["hypothesis"] == "hats vanish at night: recall 0.00"
    assert p["targets"][0]["candidate"] == "C1" and p["candidates"][0] == "C1"


def test_review_gate_pauses_and_an_edit_takes_effect(ws):
    llm = ScriptedLLM([], workspace=ws)  # no LLM needed: example policy, no iterations
    ctx = quiet_context(ws, llm)
    out = start_run(ws, ctx, "ppe", tiny_settings(iterations=0, auto_approve=False,
                                                  example_policy="ppe"), thread_id="t-review")
    assert out.paused is not None and out.paused["policy_version"] == 1
    assert "review" in run_info(ws, "t-review")["next"]
    assert ws.counts()["samples"] == 0  # nothing spent before the review
    edited = ws.get_policy(1).model_dump(mode="json")
    edited["title"] = "PPE, edited by the reviewer"
    out = resume_run(ws, ctx, "t-review", answer={"action": "edit", "policy": edited})
    assert out.paused is None
    used = ws.get_policy(out.state["policy_version"])
    assert used.title == "PPE, edited by the reviewer" and used.parent_version == 1
    assert ws.review_status(used.version)[0] == "approved"
    assert out.state["review"]["decision"] == "edited"
    assert ws.counts()["samples"] > 0


def test_reject_sends_the_comment_back_to_drafting(ws):
    llm = ScriptedLLM([HARD_HAT_DRAFT, {**HARD_HAT_DRAFT, "title": "Hard hats and vests"},
                       HARD_HAT_SCENARIOS, HARD_HAT_AXES], workspace=ws)
    ctx = quiet_context(ws, llm)
    out = start_run(ws, ctx, "hard hats", tiny_settings(iterations=0, auto_approve=False),
                    thread_id="t-reject")
    assert out.paused["policy_version"] == 1
    # a draft has no scenarios or axes yet: the review says they come next instead of
    # listing "no compliant scenario" / "no axes" as errors (issue 14, smaller items)
    page = out.paused["review"]
    assert "rule_no_compliant" not in page.split("not shown yet")[0]
    assert "derived right after you approve" in page
    out = resume_run(ws, ctx, "t-reject", answer={"action": "reject", "comment": "add vests too"})
    assert out.paused["policy_version"] == 2  # re-drafted, paused again
    drafts = [c for c in llm.calls if c.template == "draft_policy"]
    assert len(drafts) == 2 and drafts[1].variables["feedback"] == "add vests too"
    assert ws.review_status(1) == ("rejected", "add vests too")
    out = resume_run(ws, ctx, "t-reject", answer={"action": "approve"})
    assert out.paused is None and ws.get_policy(2).title == "Hard hats and vests"
