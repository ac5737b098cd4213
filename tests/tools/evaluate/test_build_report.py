"""build_report on planted predictions, checked against hand computation."""

from __future__ import annotations

import math

import pytest

from synthloop.tools.errors import ValidationError
from synthloop.tools.evaluate import Prediction, build_report, wilson_interval
from tests.support.planted_cases import BOX_A, BOX_B, eval_sample, planted_night_case


def test_class_b_missed_at_night_ranks_night_x_b_first():
    samples, preds = planted_night_case(20)
    r = build_report(samples, preds, ["A", "B"])
    # by hand: 40 A found, 20 of 40 B found, no false positives
    assert r.overall["recall"] == pytest.approx(60 / 80)
    assert r.overall["precision"] == 1.0
    assert r.overall["worst_class_recall"] == pytest.approx(0.5)
    a, b = r.classes
    assert (a.support, a.tp, a.recall) == (40, 40, 1.0)
    assert (b.support, b.tp, b.fn, b.recall) == (40, 20, 20, 0.5)
    worst = r.slices[0]
    assert worst.key() == "lighting=night × B"
    assert (worst.n_images, worst.support, worst.tp, worst.fn) == (20, 20, 0, 20)
    assert worst.recall_ci[1] == pytest.approx(wilson_interval(0, 20)[1])
    assert worst.score == pytest.approx((0.75 - wilson_interval(0, 20)[1]) * math.sqrt(20), abs=1e-5)
    # the day slices are not weak at all, and the overall night slice comes right after
    by_key = {s.key(): s for s in r.slices}
    assert by_key["lighting=day × B"].score == 0.0
    assert by_key["lighting=day × B"].recall == 1.0
    assert r.slices[1].key() == "lighting=night"
    assert by_key["lighting=night"].recall == pytest.approx(0.5)
    assert by_key["scenario=s2"].n_images == 14  # i % 3 == 0 for i in 0..39
    assert r.score_method.startswith("score = ")


def test_confusion_matrix_counts_every_object_and_every_false_positive():
    boxes = [("A", BOX_A), ("B", BOX_B), ("C", (60.0, 5.0, 95.0, 40.0))]
    s = eval_sample("x", boxes)
    preds = {"x": [Prediction("A", 0.9, BOX_A),              # TP
                   Prediction("C", 0.8, BOX_B),              # B confused as C
                   Prediction("A", 0.7, (0.0, 60.0, 30.0, 95.0)),  # background FP
                   Prediction("C", 0.1, (60.0, 5.0, 95.0, 40.0))]}  # under conf: C missed
    r = build_report([s], preds, ["A", "B", "C"], conf_threshold=0.25)
    labels, m = r.confusion.labels, r.confusion.matrix
    assert labels == ["A", "B", "C", "background"]
    img = r.images[0]
    matched = img.tp + len(img.confusions)
    unmatched = len(img.missed) + (img.fp - len(img.confusions))
    assert sum(map(sum, m)) == matched + unmatched == 4
    assert m[0][0] == 1 and m[1][2] == 1 and m[2][3] == 1 and m[3][0] == 1
    assert img.confusions == [("B", "C")]
    assert img.missed == ["C"]
    assert (img.tp, img.fp, img.fn) == (1, 2, 2)
    by = {c.name: c for c in r.classes}
    assert by["A"].precision == 0.5 and by["C"].fp == 1 and by["B"].fn == 1
    assert len(img.predicted) == 3  # the 0.1 prediction is under the threshold


def test_class_absent_from_eval_set_is_reported_not_a_crash():
    samples, preds = planted_night_case(3)
    r = build_report(samples, preds, ["A", "B", "ghost"])
    ghost = r.classes[2]
    assert ghost.support == 0 and ghost.recall == 0.0
    assert any("ghost" in n for n in r.notes)
    assert r.overall["worst_class_recall"] == pytest.approx(0.5)


def test_empty_eval_set_is_a_clear_error():
    with pytest.raises(ValidationError, match="empty"):
        build_report([], {}, ["A"])


def test_unknown_prediction_class_is_a_clear_error():
    s = eval_sample("x", [("A", BOX_A)])
    with pytest.raises(ValidationError, match="zebra"):
        build_report([s], {"x": [Prediction("zebra", 0.9, BOX_A)]}, ["A"])


def test_classification_report():
    samples = [eval_sample(f"c{i}", label="ok" if i < 6 else "bad",
                           variables={"lighting": "night" if i % 2 else "day"}) for i in range(10)]
    # every 'bad' image at night is called 'ok'
    preds = {s.id: [Prediction("bad" if s.label == "bad" and s.variables["lighting"] == "day"
                               else "ok", 0.9), Prediction("bad", 0.05)] for s in samples}
    r = build_report(samples, preds, ["ok", "bad"], task="classification")
    assert r.confusion.labels == ["ok", "bad"]
    assert r.confusion.matrix == [[6, 0], [2, 2]]
    assert r.overall["accuracy"] == pytest.approx(0.8)
    bad = r.classes[1]
    assert (bad.support, bad.tp, bad.recall) == (4, 2, 0.5)
    assert r.classes[0].precision == pytest.approx(6 / 8)
    assert {s.key() for s in r.slices if s.cls == "bad" and s.recall == 0.0} == {"lighting=night × bad"}
