"""The real path at a tiny size: example policy -> specs -> procedural images -> dataset
version -> export -> training -> report, with no network."""

from __future__ import annotations

import pytest

from synthloop.tools.config import GeneratorConfig, TrainingConfig
from synthloop.tools.dataset import build_dataset_version
from synthloop.tools.design import expand_specs, load_example_policy
from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.generate.runner import generate_samples, make_generator
from synthloop.tools.report import estimate_tokens, render_report_html, summarize_report


@pytest.mark.slow
def test_procedural_dataset_trains_and_reports_every_axis(ws, no_network):
    policy = ws.save_policy(load_example_policy("ppe"))
    specs = [*expand_specs(policy, 36, seed=1, split="train"),
             *expand_specs(policy, 12, seed=2, split="test")]
    gen = make_generator(GeneratorConfig(width=96, height=96, workers=1))
    try:
        generate_samples(ws, policy, specs, gen, progress=False)
    finally:
        gen.close()
    ds = build_dataset_version(ws, policy)
    assert ds.holdout == "synthetic" and ds.count("test") == 12

    from synthloop.tools.train import train_model

    run = train_model(ws, ds, TrainingConfig(epochs=1, imgsz=64, batch=8, device="cpu"),
                      progress=False)
    report = evaluate_model(ws, run, dataset=ds, progress=False)
    test_samples = ws.get_samples(ds.splits["test"])
    assert report.eval_set.n_objects == sum(len(s.annotations) for s in test_samples)
    axes = {s.axis for s in report.slices}
    assert axes == {a.name for a in policy.axes} | {"scenario"}
    # slices come from the samples' recorded variables, exactly
    night = [s for s in test_samples if s.variables.get("lighting") == "night"]
    if night:
        sl = next(s for s in report.slices if s.key() == "lighting=night")
        assert sl.n_images == len(night)
        assert sl.support == sum(len(s.annotations) for s in night)
    text = summarize_report(report)
    assert estimate_tokens(text) <= 1500 and "SYNTHETIC holdout" in text
    assert render_report_html(ws, report).is_file()
    assert no_network == []
