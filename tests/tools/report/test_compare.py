"""compare_reports: deltas are new - old, and improvements are called improvements."""

from __future__ import annotations

import pytest

from synthloop.tools.evaluate import Prediction, build_report
from synthloop.tools.report import compare_reports
from tests.support.planted_cases import BOX_B, planted_night_case


def _reports():
    samples, preds = planted_night_case(20)
    old = build_report(samples, preds, ["A", "B"]).model_copy(update={"id": "old"})
    better = dict(preds)
    for s in samples[20:30]:  # half of the night B objects are now found...
        better[s.id] = [*better[s.id], Prediction("B", 0.7, BOX_B)]
    for s in samples[:4]:  # ...but four day images lose their A and gain a false positive
        better[s.id] = [Prediction("B", 0.8, BOX_B), Prediction("A", 0.6, (60.0, 0.0, 99.0, 30.0))]
    new = build_report(samples, better, ["A", "B"]).model_copy(update={"id": "new"})
    return old, new


def _get(deltas, key, metric):
    return next(d for d in deltas if d.key == key and d.metric == metric)


def test_signs_of_class_and_slice_deltas():
    old, new = _reports()
    c = compare_reports(old, new)
    assert c.same_eval_set
    b = _get(c.classes, "B", "recall")
    assert (b.old, b.new, b.delta) == (0.5, 0.75, 0.25) and b.improved() is True
    a = _get(c.classes, "A", "recall")
    assert a.delta == pytest.approx(-0.1) and a.improved() is False
    night_b = _get(c.slices, "lighting=night × B", "recall")
    assert night_b.delta == pytest.approx(0.5) and night_b.new_support == 20
    day_a = _get(c.slices, "lighting=day × A", "recall")
    assert day_a.delta == pytest.approx(-0.2)
    fp = _get(c.overall, "overall", "fp_per_image")
    assert fp.delta == pytest.approx(4 / 40) and fp.improved() is False


def test_text_names_the_biggest_gain_and_loss():
    old, new = _reports()
    text = compare_reports(old, new).text
    assert "Classes improved most (recall): B recall +0.250 (0.500 → 0.750)" in text
    assert "Classes regressed most (recall): A recall -0.100 (1.000 → 0.900)" in text
    assert "lighting=night × B recall +0.500" in text.split("Slices improved most")[1]


def test_different_eval_sets_are_flagged():
    old, _ = _reports()
    samples, preds = planted_night_case(10)
    other = build_report(samples, preds, ["A", "B"]).model_copy(update={"id": "x"})
    c = compare_reports(old, other)
    assert not c.same_eval_set
    assert c.text.startswith("Caution")


def test_comparing_a_report_with_itself_changes_nothing():
    old, _ = _reports()
    c = compare_reports(old, old)
    assert all(d.delta == 0 for d in c.classes + c.slices)
    assert "Overall: unchanged." in c.text
