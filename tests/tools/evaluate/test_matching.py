"""IoU matching: greedy by confidence, same class first, then confusions."""

from __future__ import annotations

import numpy as np
import pytest

from synthloop.tools.evaluate import Prediction, box_iou, match_detections, wilson_interval
from synthloop.tools.evaluate.ranking import weakness_score
from synthloop.tools.models import Annotation


def test_box_iou_by_hand():
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30]]))
    assert iou.shape == (1, 2)
    assert iou[0, 0] == pytest.approx(50 / 150)
    assert iou[0, 1] == 0.0


def test_higher_confidence_takes_the_object_and_the_duplicate_is_a_false_positive():
    gt = [Annotation(cls="a", box=(0, 0, 10, 10))]
    preds = [Prediction("a", 0.4, (0, 0, 10, 10)), Prediction("a", 0.9, (1, 0, 10, 10))]
    m = match_detections(gt, preds, 0.5)
    assert m.tp == [(0, 1)]
    assert m.fp == [0]
    assert m.missed == []


def test_wrong_class_on_an_object_is_a_confusion_not_a_background_false_positive():
    gt = [Annotation(cls="a", box=(0, 0, 10, 10)), Annotation(cls="b", box=(50, 50, 60, 60))]
    preds = [Prediction("b", 0.9, (0, 0, 10, 10)), Prediction("b", 0.8, (50, 50, 60, 60))]
    m = match_detections(gt, preds, 0.5)
    assert m.tp == [(1, 1)]
    assert m.confusions == [(0, 0)]
    assert m.fp == [] and m.missed == []


def test_same_class_match_wins_over_a_better_overlapping_other_class():
    gt = [Annotation(cls="a", box=(0, 0, 10, 10)), Annotation(cls="b", box=(1, 0, 11, 10))]
    m = match_detections(gt, [Prediction("b", 0.9, (0, 0, 10, 10))], 0.5)
    assert m.tp == [(1, 0)]
    assert m.missed == [0]


def test_below_iou_threshold_is_missed_plus_false_positive():
    gt = [Annotation(cls="a", box=(0, 0, 10, 10))]
    m = match_detections(gt, [Prediction("a", 0.9, (6, 0, 16, 10))], 0.5)
    assert m.tp == [] and m.fp == [0] and m.missed == [0]


def test_no_predictions_and_no_ground_truth():
    assert match_detections([], []).tp == []
    m = match_detections([], [Prediction("a", 0.5, (0, 0, 1, 1))])
    assert m.fp == [0]


@pytest.mark.parametrize("k,n,lo,hi", [(0, 20, 0.0, 0.1611), (20, 20, 0.8389, 1.0),
                                       (10, 20, 0.2993, 0.7007), (0, 0, 0.0, 1.0)])
def test_wilson_interval_matches_the_textbook_values(k, n, lo, hi):
    got = wilson_interval(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-4)
    assert got[1] == pytest.approx(hi, abs=1e-4)


def test_weakness_score_needs_evidence_not_just_a_gap():
    # 0 of 2 has the bigger gap, but 0 of 20 is the stronger evidence of a weak slice
    assert weakness_score(0, 20, 0.75) > weakness_score(0, 2, 0.75)
    assert weakness_score(0, 2, 0.75) < 0.2
    assert weakness_score(18, 20, 0.75) == 0.0
