"""The iteration's model as a verifier: judges only samples it never saw (issue 15)."""

from __future__ import annotations

import pytest

from synthloop.tools.errors import ValidationError
from synthloop.tools.quality.heldout import HeldOutModelVerifier
from synthloop.tools.quality.run import verify_samples
from tests.support.heldout_model import fake_model, trained_workspace


@pytest.fixture
def trained(ws):
    return (ws, *trained_workspace(ws))


def test_only_unseen_samples_are_judged_and_a_box_off_its_object_is_flagged(trained, monkeypatch):
    ws, policy, old, new, run = trained
    bad = new[3].id
    seen = fake_model(monkeypatch, drop={bad})
    v = HeldOutModelVerifier.from_run(ws, run)
    assert v.trained_on == {s.id for s in old} and v.imgsz == 64
    rep = verify_samples(ws, policy, old + new, [v])
    assert set(seen) == {s.id for s in new}            # never the samples it trained on
    by_id = {x.sample_id: x for x in rep.verdicts}
    assert all(by_id[s.id].verdict == "unverified" and "trained on it" in by_id[s.id].reason
               for s in old)
    assert rep.quarantined == [bad] and "hard_hat" in by_id[bad].reason
    assert ws.quarantined_ids() == {bad}


def test_a_run_without_weights_is_refused(trained):
    ws, _, _, _, run = trained
    failed = run.model_copy(update={"status": "failed", "weights": None})
    with pytest.raises(ValidationError, match="no finished weights"):
        HeldOutModelVerifier.from_run(ws, failed)


def test_predictions_can_be_asked_at_a_lower_confidence(trained, monkeypatch):
    import synthloop.tools.evaluate.predict as predict

    ws, policy, old, new, run = trained
    fake_model(monkeypatch, drop=set())
    asked = []
    real = predict.predict_samples
    monkeypatch.setattr(predict, "predict_samples",
                        lambda *a, **kw: asked.append(kw["conf"]) or real(*a, **kw))
    v = HeldOutModelVerifier.from_run(ws, run)
    v.predict(ws, new)
    v.predict(ws, new, conf=0.003)   # the crop verifier's candidates for unlabelled objects
    assert asked == [v.config.conf, 0.003]


def test_its_own_training_images_are_predicted_only_when_asked(trained, monkeypatch):
    ws, policy, old, new, run = trained
    asked = fake_model(monkeypatch, drop=set())
    v = HeldOutModelVerifier.from_run(ws, run)
    assert v.predict(ws, old) == {} and not asked
    got = v.predict(ws, old, conf=0.003, seen=True)   # the crop verifier's hard negatives
    assert set(got) == {s.id for s in old} == set(asked)
