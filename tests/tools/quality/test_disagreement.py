"""Model disagreement: cleanlab on out-of-fold predictions (synthetic predictions here; a
tiny real two-fold training in the slow test)."""

from __future__ import annotations

import numpy as np
import pytest

from synthloop.tools.config import TrainingConfig
from synthloop.tools.errors import ValidationError
from synthloop.tools.evaluate.matching import Prediction
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality.disagreement import (
    DisagreementConfig,
    ModelDisagreementVerifier,
    _judge_classification,
    _judge_detection,
    fold_of,
)

NAMES = ["person", "hard_hat"]


def det_sample(i, anns) -> Sample:
    return Sample(id=f"s{i:03d}", image="x.png", width=128, height=128,
                  annotations=[Annotation(cls=c, box=b) for c, b in anns],
                  provenance=Provenance(generator="procedural"))


def world(n=60):
    rng = np.random.default_rng(0)
    samples, preds = [], {}
    for i in range(n):
        x, y = float(rng.uniform(5, 60)), float(rng.uniform(5, 40))
        anns = [("person", (x, y, x + 30, y + 70)), ("hard_hat", (x + 8, y, x + 22, y + 10))]
        p = [Prediction(c, float(rng.uniform(0.85, 0.99)), tuple(v + rng.normal(0, 0.5) for v in b))
             for c, b in anns]
        p += [Prediction("hard_hat", 0.03, (x, y, x + 30, y + 70))]   # low-confidence noise
        if i == 0:    # label for an object the model does not find (not drawn)
            p = [q for q in p if q.cls != "hard_hat" or q.conf < 0.5]
        if i == 1:    # the model sees a person where the label says hard_hat
            p = [Prediction("person", q.conf, q.box) if q.cls == "hard_hat" and q.conf > 0.5 else q
                 for q in p]
        if i == 2:    # the label's box is off its object
            anns = [anns[0], ("hard_hat", (x + 40, y + 40, x + 54, y + 50))]
        if i == 3:    # an object nobody labelled
            p.append(Prediction("person", 0.95, (90.0, 30.0, 120.0, 100.0)))
        samples.append(det_sample(i, anns))
        preds[samples[-1].id] = p
    return samples, preds


def test_cleanlab_alone_sees_only_the_unlabelled_object():
    # measured: a label no prediction overlaps gets swap = bad-location = 1.0 from cleanlab
    samples, preds = world()
    alone = _judge_detection(samples, preds, NAMES, "model_disagreement")
    assert {v.sample_id for v in alone if v.flagged} == {"s003"}


def test_cleanlab_judges_without_forking_a_process_pool(monkeypatch):
    # a pool forked after torch's threads started can deadlock its worker (a test hung so)
    import multiprocessing.pool

    import cleanlab.object_detection.filter as od_filter

    def refuse(*a, **kw):
        raise AssertionError("cleanlab forked a process pool")
    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__", refuse)
    samples, preds = world()
    assert {v.sample_id for v in _judge_detection(samples, preds, NAMES, "m") if v.flagged}
    assert od_filter.Pool is not None and od_filter.Pool.__name__ == "Pool"  # put back
    rng = np.random.default_rng(2)
    cls = [Sample(id=f"c{i}", image="x.png", width=8, height=8, label=["ok", "bad"][i % 2],
                  provenance=Provenance(generator="procedural")) for i in range(3000)]
    p = {s.id: [Prediction("ok", q), Prediction("bad", 1 - q)]
         for s, q in zip(cls, rng.uniform(0.05, 0.95, 3000), strict=True)}
    assert len(_judge_classification(cls, p, ["ok", "bad"], "m")) == 3000


def test_with_the_broad_unmatched_rule_each_kind_of_wrong_label_is_flagged():
    samples, preds = world()
    v = ModelDisagreementVerifier(TrainingConfig(), DisagreementConfig(rule="broad"))
    verdicts = v.judge("detection", samples, preds, NAMES)
    flagged = {v.sample_id for v in verdicts if v.flagged}
    assert v.by_cleanlab == {"s003"} and v.by_rule == {"s000", "s001", "s002"}
    assert {"s000", "s001", "s002", "s003"} <= flagged and len(flagged) <= 8
    by = {v.sample_id: v for v in verdicts}
    assert by["s003"].objects and any(o.index is None for o in by["s003"].objects)
    assert any(o.index == 1 for o in by["s002"].objects)
    assert "looks like person" in by["s001"].reason and "not found" in by["s000"].reason
    clean = [v.score for v in verdicts if v.sample_id not in flagged]
    assert min(clean) > max(by[s].score for s in ("s000", "s001", "s002"))


def test_the_strict_rule_flags_only_labels_the_model_gives_evidence_against():
    samples, preds = world()
    v = ModelDisagreementVerifier(TrainingConfig())  # strict is the default
    by = {x.sample_id: x for x in v.judge("detection", samples, preds, NAMES)}
    flagged = {k for k, x in by.items() if x.flagged}
    # s000's hard hat is simply not found: as for a hard but correct object, no evidence
    assert flagged == {"s001", "s002", "s003"}
    assert "looks like person" in by["s001"].reason
    assert "box off its object" in by["s002"].reason and "unlabelled" in by["s002"].reason


def test_classification_uses_cleanlab_find_label_issues():
    rng = np.random.default_rng(1)
    samples, preds = [], {}
    for i in range(60):
        lab = ["ok", "bad"][i % 2]
        samples.append(Sample(id=f"c{i}", image="x.png", width=8, height=8, label=lab,
                              provenance=Provenance(generator="procedural")))
        p_ok = float(rng.uniform(0.85, 0.95)) if lab == "ok" else float(rng.uniform(0.05, 0.15))
        if i == 4:
            p_ok = 0.03   # labelled ok, the model is sure it is bad
        preds[f"c{i}"] = [Prediction("ok", p_ok), Prediction("bad", 1 - p_ok)]
    verdicts = _judge_classification(samples, preds, ["ok", "bad"], "m")
    assert [v.sample_id for v in verdicts if v.flagged] == ["c4"]
    assert "out-of-fold model says bad" in verdicts[4].reason


def test_folds_are_stable_and_small_sets_are_refused(ws):
    assert [fold_of(f"s{i}", 3) for i in range(20)] == [fold_of(f"s{i}", 3) for i in range(20)]
    assert len({fold_of(f"s{i}", 3) for i in range(20)}) == 3
    v = ModelDisagreementVerifier(TrainingConfig(), DisagreementConfig())
    with pytest.raises(ValidationError):
        v.verify_batch(ws, None, [det_sample(0, [])])


@pytest.mark.slow
def test_two_fold_training_predicts_every_sample_out_of_fold(ws):
    from synthloop.tools.design import expand_specs, load_example_policy
    from synthloop.tools.generate.procedural import ProceduralGenerator
    from synthloop.tools.generate.runner import generate_samples

    policy = ws.save_policy(load_example_policy("ppe"))
    with ProceduralGenerator(64, 64, workers=1) as gen:
        generate_samples(ws, policy, expand_specs(policy, 24, seed=3, split="train"), gen, progress=False)
    samples = list(ws.iter_samples())
    cfg = TrainingConfig(epochs=1, imgsz=64, batch=8, device="cpu", workers=0)
    v = ModelDisagreementVerifier(cfg, DisagreementConfig(folds=2, min_samples=10))
    verdicts = v.verify_batch(ws, policy, samples)
    assert sorted(x.sample_id for x in verdicts) == sorted(s.id for s in samples)
    assert all(0 <= x.score <= 1 and x.verdict in ("ok", "suspect") for x in verdicts)
    assert len(ws.list_train_runs()) == 2 and v.seconds["train"] > 0
