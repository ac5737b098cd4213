"""bench_verify's --workdir: a seed's images and previous-iteration model are prepared once
and reused while the verifier's settings change; other data settings are refused. Tiny
sizes, real generation and a one-epoch YOLO training (slow)."""

from __future__ import annotations

import json

import pytest

from synthloop.evals import bench_verify

pytestmark = pytest.mark.slow

TINY = ["--verifier", "crops", "--mode", "heldout", "--seeds", "0", "--images", "40",
        "--new", "30", "--test", "4", "--size", "96", "--epochs", "1", "--final-epochs", "0"]
FAST = ["--crop", "search_epochs=2"]   # the second crop model, short: a test, not a measurement


def test_a_prepared_seed_is_reused_and_judged_on_a_copy(tmp_path, capsys):
    work, out = tmp_path / "work", tmp_path / "out"
    bench_verify.main([*TINY, *FAST, "--workdir", str(work), "--out", str(out)])
    state = json.loads((work / "state0.json").read_text())
    assert state["base_run"] and len(state["judged"]) == 30 and len(state["seen"]) == 40
    first = json.loads((out / "verify.json").read_text())
    kept = sorted(p.name for p in (work / "ws0").rglob("*"))
    bench_verify.main([*TINY, *FAST, "--workdir", str(work), "--out", str(tmp_path / "again"),
                       "--crop", "other_threshold=1"])
    second = json.loads((tmp_path / "again" / "verify.json").read_text())
    assert json.loads((work / "state0.json").read_text()) == state   # nothing prepared again
    assert sorted(p.name for p in (work / "ws0").rglob("*")) == kept   # the kept one untouched
    assert first["rows"][0]["planted"] == second["rows"][0]["planted"]
    assert second["crop_overrides"] == {"search_epochs": "2", "other_threshold": "1"}
    with pytest.raises(SystemExit, match="other settings"):
        bench_verify.main([*TINY[:-4], "--epochs", "2", "--final-epochs", "0",
                           "--workdir", str(work), "--out", str(tmp_path / "x")])
