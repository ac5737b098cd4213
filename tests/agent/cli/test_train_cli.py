"""`synthloop train`, `evaluate` and `report` on a tiny hand-made dataset."""

from __future__ import annotations

import pytest

from synthloop.agent.cli import run
from synthloop.tools.store import Workspace
from synthloop.tools.train import device as device_mod
from tests.support.tiny_data import make_tiny_dataset


@pytest.fixture
def tiny_ws(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        make_tiny_dataset(ws, n_train=16, n_val=4, n_test=6)
    return root


@pytest.mark.slow
def test_train_evaluate_report_commands(tiny_ws, capsys, no_network):
    w = ["-w", str(tiny_ws)]
    assert run([*w, "train", "--epochs", "1", "--imgsz", "64", "--batch", "8", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "status" in out and "finished" in out and "next: synthloop evaluate --run" in out
    assert run([*w, "evaluate"]) == 0
    out = capsys.readouterr().out
    assert "per class" in out and "red_box" in out
    assert run([*w, "report"]) == 0
    out = capsys.readouterr().out
    assert "Misclassification report" in out
    page = out.split("report page: ")[1].split()[0]
    assert page.endswith("index.html")
    with Workspace.open(tiny_ws) as ws:
        rep = ws.get_report()
        assert (ws.root / "reports" / rep.id / "index.html").is_file()
        assert len(ws.list_train_runs()) == 1
    # the same training again is not counted twice
    assert run([*w, "train", "--epochs", "1", "--imgsz", "64", "--batch", "8", "--device", "cpu"]) == 0
    with Workspace.open(tiny_ws) as ws:
        assert len(ws.list_train_runs()) == 1
    assert run([*w, "report", "--compare-to", rep.id]) == 0
    assert "Change since report" in capsys.readouterr().out
    assert no_network == []


def test_cuda_without_gpu_exits_2_with_a_hint(tiny_ws, capsys, monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    assert run(["-w", str(tiny_ws), "train", "--device", "cuda", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU" in err and "--device cpu" in err


def test_bad_option_value_exits_2(tiny_ws, capsys):
    assert run(["-w", str(tiny_ws), "train", "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err


def test_missing_report_or_run_exits_2(tiny_ws, capsys):
    assert run(["-w", str(tiny_ws), "report", "--id", "nope"]) == 2
    assert run(["-w", str(tiny_ws), "evaluate", "--run", "nope"]) == 2
    assert run(["-w", str(tiny_ws), "evaluate"]) == 2  # no finished run yet
    assert "synthloop train" in capsys.readouterr().err
