"""The quick versions of both evaluation suites, for real: the loop-efficacy benchmark
(both built-in worlds, uniform and allocator arms, real generation and training, tiny
sizes) through the CLI, and the policy-quality suite on one goal with the embedded LLM
through evals.run_all.

They check that the suites complete and write their table, JSON and plots, and that the
benchmark's arms really share iteration 0, never what the numbers are: at smoke sizes
the model learns next to nothing. A few minutes on a quiet 2-core CPU."""

from __future__ import annotations

import json

import pytest

from synthloop.agent.cli import run
from synthloop.evals import run_all

pytestmark = pytest.mark.slow


def test_quick_efficacy_through_the_cli(tmp_path):
    assert run(["eval", "efficacy", "--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "efficacy_quick.json").read_text())
    assert data["quick"] is True
    assert [w["world"] for w in data["worlds"]] == ["ppe_rare", "helmet_cls"]
    assert [w["task"] for w in data["worlds"]] == ["detection", "classification"]
    for w in data["worlds"]:
        runs = {r["arm"]: r for r in w["runs"]}
        assert set(runs) == {"uniform", "targeted-allocator"}
        assert all(r["error"] is None for r in runs.values()), [r["error"] for r in runs.values()]
        uni, alloc = runs["uniform"]["iterations"], runs["targeted-allocator"]["iterations"]
        assert [i["iteration"] for i in uni] == [0, 1] == [i["iteration"] for i in alloc]
        # forked from one base run: the same iteration 0, then the planner alone differs
        assert uni[0]["metrics"] == alloc[0]["metrics"]
        assert uni[1]["images_added"] == alloc[1]["images_added"] == 40
        assert uni[1]["plan_source"] == "uniform" and alloc[1]["plan_source"] == "allocator"
        assert uni[1]["train_images"] == uni[0]["train_images"] + 40
        base = w["bases"][0]
        # the holdout's three parts: the loop's own, the pairwise supplement, the control
        assert set(base["holdout"]) == {"loop", "balanced", "control"}, base["holdout"]
        assert len(base["tracked_slices"]) == 3 and w["control_slice"] not in base["tracked_slices"]
        assert "control_recall" in uni[0]["metrics"] and "loop_holdout_recall" in uni[0]["metrics"]
        assert "targeted-allocator" in w["verdicts"] and "targeted-allocator" in w["comparisons"]
        assert runs["uniform"]["control_flagged"] in (True, False, None)
    md = (tmp_path / "efficacy_quick.md").read_text()
    assert "## Verdict" in md and "## World `ppe_rare`" in md and "## World `helmet_cls`" in md
    assert "| uniform | 1 |" in md
    plots = sorted(tmp_path.glob("efficacy_quick_*.png"))
    assert len(plots) == 10 and all(p.stat().st_size > 1000 for p in plots)


def test_quick_policy_quality_with_the_embedded_model(tmp_path):
    assert run_all.main(["--quick", "--only", "policy", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "policy_quality_quick.json").read_text())
    assert data["total"] == 1 and data["llm"]["endpoint"] == "embedded"
    row = data["goals"][0]
    assert row["error"] is None, row["error"]
    assert row["llm"]["calls"] >= 3 and row["llm"]["completion_tokens"] > 0
    assert row["classes"] >= 1 and row["rules"] >= 1 and row["scenarios"] >= 2
    assert (tmp_path / "policy_quality_quick.md").read_text().startswith("# Policy quality")
    assert (tmp_path / "policy_quality_quick.png").stat().st_size > 1000
