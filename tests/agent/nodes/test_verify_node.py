"""The loop's verify step: the previous model judges the new images, unless it is too weak
to (its last evaluation below [verify] min_model_score) or verification is off."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rich.console import Console

from synthloop.agent.context import LoopContext, RunSettings
from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.nodes.verify import verify
from tests.support.factories import make_report
from tests.support.heldout_model import fake_model, trained_workspace


def _state(ws, score: float, **settings):
    policy, _, new, run = trained_workspace(ws)
    report = ws.save_report(make_report(run.id).model_copy(update={"overall": {"map50": score}}))
    state = {"settings": RunSettings(**settings).model_dump(mode="json"),
             "policy_version": policy.version, "train_run_id": run.id, "report_id": report.id}
    runtime = SimpleNamespace(context=LoopContext(workspace=ws, llm=ScriptedLLM([]),
                                                  console=Console(quiet=True), progress=False))
    return state, runtime, new


def test_a_good_model_quarantines_what_it_flags(ws, monkeypatch):
    state, runtime, new = _state(ws, 0.8)
    fake_model(monkeypatch, drop={new[5].id})
    out = verify(state, runtime)["verification"]
    assert out["checked"] == 30 and out["flagged"] == 1 and ws.quarantined_ids() == {new[5].id}


@pytest.mark.parametrize("score, settings, why", [
    (0.3, {}, "too weak to judge labels"),
    (0.9, {"verify": {"loop": False}}, "off"),
])
def test_a_weak_model_or_verification_off_skips_with_the_reason(ws, monkeypatch, score,
                                                                 settings, why):
    state, runtime, new = _state(ws, score, **settings)
    seen = fake_model(monkeypatch, drop={new[5].id})
    out = verify(state, runtime)["verification"]
    assert why in out["skipped"] and seen == [] and ws.quarantined_ids() == set()


def test_the_crop_method_trains_on_the_models_images_and_judges_the_new_ones(ws, monkeypatch):
    state, runtime, new = _state(ws, 0.8, verify={"method": "crops",
                                                  "crops": {"epochs": 1, "search_epochs": 2,
                                                            "min_samples": 4}})
    seen = fake_model(monkeypatch, drop=set())
    out = verify(state, runtime)["verification"]
    assert out["method"] == "crops" and out["checked"] == 30 and out["seconds"] > 0
    assert sorted(seen) == sorted(s.id for s in new)  # the detector proposed on the new only
    assert ws.counts()["samples"] == 40
