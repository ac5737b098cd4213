"""The image budget: refused before anything is generated when the initial set does not fit,
and never exceeded by the targeted iterations (issue 14, item 1)."""

from __future__ import annotations

import pytest

from synthloop.agent.cli import run
from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.nodes.guardrails import images_used, minimum_budget
from synthloop.agent.nodes.specs import within_budget
from synthloop.agent.runner import list_threads, start_run
from synthloop.tools.design import expand_specs, load_example_policy
from synthloop.tools.errors import ValidationError
from tests.support.loop import quiet_context, tiny_settings


def test_run_refuses_a_budget_below_the_initial_set_before_anything(tmp_path, capsys,
                                                                     monkeypatch):
    started = []
    monkeypatch.setattr("synthloop.agent.cli.loop_view._execute",
                        lambda *a, **k: started.append(a))
    w = tmp_path / "ws"
    rc = run(["-w", str(w), "run", "hats", "--example", "ppe", "--auto-approve",
              "--initial", "300", "--iterations", "2", "--budget", "10"])
    err = capsys.readouterr().err
    assert rc == 2 and started == []
    assert "budget of 10" in err and "480" in err and "--budget 480" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not w.exists()  # nothing generated, not even a workspace


def test_start_run_refuses_it_too_and_stores_no_thread(ws):
    s = tiny_settings(total_images=30)  # 24 initial + 8 val + 24 holdout = 56
    assert minimum_budget(s) == 56
    assert minimum_budget(s.model_copy(update={"eval_set": "/real"})) == 32
    with pytest.raises(ValidationError, match="below the 56 images"):
        start_run(ws, quiet_context(ws, ScriptedLLM([], workspace=ws)), "hats", s,
                  thread_id="t-small")
    assert list_threads(ws) == [] and ws.counts()["specs"] == 0


def test_targeted_specs_are_cut_to_what_is_left_of_the_budget(ws):
    policy = ws.save_policy(load_example_policy("ppe"))
    ws.save_specs(expand_specs(policy, 50, seed=1))
    todo = list(expand_specs(policy, 30, seed=2, iteration=1, origin="floor"))
    todo += list(expand_specs(policy, 5, seed=3, iteration=1, fixed={"lighting": "night"},
                              origin="targeted lighting=night (near miss)"))
    todo += list(expand_specs(policy, 25, seed=4, iteration=1,
                              origin="targeted lighting=night", fixed={"lighting": "night"}))
    per_slice = {"(floor: all scenarios)": 30, "lighting=night": 30}
    kept, counts = within_budget(ws, policy.version, todo, per_slice, total=90)
    assert len(kept) == 40 and counts == {"(floor: all scenarios)": 30, "lighting=night": 10}
    ws.save_specs(kept)
    assert images_used(ws, policy.version) == 90
    again, _ = within_budget(ws, policy.version, todo, per_slice, total=90)
    assert [t.id for t in again] == [t.id for t in kept]  # a re-run keeps the same specs
    assert within_budget(ws, policy.version, todo[:5], per_slice, total=200)[0] == todo[:5]
    later = list(expand_specs(policy, 10, seed=5, iteration=2, origin="floor"))
    assert within_budget(ws, policy.version, later, per_slice, total=90)[0] == []  # spent
