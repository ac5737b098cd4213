"""The Markdown summary: order, content and the token budget."""

from __future__ import annotations

import pytest

from synthloop.tools.evaluate import build_report
from synthloop.tools.report import compare_reports, estimate_tokens, summarize_report
from tests.support.planted_cases import planted_night_case
from tests.support.report_cases import big_report


def test_summary_leads_with_provenance_and_names_the_weak_slice():
    samples, preds = planted_night_case(20)
    r = build_report(samples, preds, ["A", "B"]).model_copy(update={"id": "r1"})
    text = summarize_report(r)
    lines = text.splitlines()
    assert lines[0] == "# Misclassification report r1"
    assert "SYNTHETIC holdout" in text.split("Overall")[0]
    assert text.index("Overall") < text.index("Weakest classes") < text.index("Weakest slices") \
        < text.index("Top confusions") < text.index("Failure examples")
    first_slice = next(ln for ln in lines if ln.startswith("- lighting"))
    assert first_slice.startswith("- lighting=night × B: recall 0.00 (CI 0.00–0.16), 0/20 found")
    assert "- B → background: 20 (missed)" in text
    assert "img020 (lighting=night, weather=rain, scenario s1): missed B" in text


def test_summary_for_a_planner_leaves_out_the_failure_examples():
    samples, preds = planted_night_case(20)
    r = build_report(samples, preds, ["A", "B"]).model_copy(update={"id": "r1"})
    full, lean = summarize_report(r), summarize_report(r, failure_examples=0)
    assert "Failure examples" in full and "Failure examples" not in lean and "img020" not in lean
    assert "- lighting=night × B: recall 0.00" in lean and len(lean) < len(full)


@pytest.mark.parametrize("budget", [1500, 600, 250, 60])
def test_summary_stays_within_budget_with_20_classes_and_100_slices(budget):
    r = big_report(n_classes=20, values_per_axis=50)
    assert len(r.classes) == 20
    assert len({(s.axis, s.value) for s in r.slices if s.axis != "scenario"}) == 100
    text = summarize_report(r, max_tokens=budget)
    assert estimate_tokens(text) <= budget
    assert text.startswith("# Misclassification report big0123456789ab")
    if budget >= 600:
        assert "## Weakest classes" in text and "## Weakest slices" in text
        assert "## Top confusions" in text


def test_summary_with_comparison_stays_within_budget():
    r = big_report(seed=1)
    r2 = big_report(seed=2).model_copy(update={"id": "other"})
    text = summarize_report(r2, max_tokens=800, comparison=compare_reports(r, r2))
    assert estimate_tokens(text) <= 800
    assert "## Change since report big0123456789ab" in text


def test_untrimmed_big_report_would_be_over_budget():
    # proves the budget test above exercises the trimming, not a report that fits anyway
    r = big_report()
    assert estimate_tokens(summarize_report(r, max_tokens=10**6)) > 600


def test_estimate_tokens_is_chars_over_3_5():
    assert estimate_tokens("a" * 35) == 10
    assert estimate_tokens("a" * 36) == 11
