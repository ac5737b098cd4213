"""`synthloop verify` and `synthloop quarantine`: flag, explain, release, confirm; nothing
deleted; bad input exits 2 with one line (issue 15)."""

from __future__ import annotations

import pytest

from synthloop.agent.cli import run
from synthloop.tools.dataset import build_dataset_version
from synthloop.tools.store import Workspace
from tests.support.heldout_model import fake_model, trained_workspace


@pytest.fixture
def wsdir(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        _, _, new, _ = trained_workspace(ws)
    return root, [s.id for s in new]


def test_verify_then_why_release_and_confirm(wsdir, monkeypatch, capsys):
    root, new = wsdir
    bad = [new[2], new[7]]
    fake_model(monkeypatch, drop=set(bad))
    w = ["-w", str(root)]
    assert run([*w, "verify"]) == 0
    out = capsys.readouterr().out
    assert "verifying 30 samples with model" in out and "2 of 30 flagged and quarantined" in out
    assert "flagged images, labels drawn" in out and list((root / "reports").glob("flagged-*.png"))
    assert run([*w, "quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert all(b in out for b in bad)
    assert run([*w, "quarantine", "why", bad[0]]) == 0
    assert "hard_hat" in capsys.readouterr().out
    with Workspace.open(root, write=True) as ws:
        policy = ws.get_policy()
        ds = build_dataset_version(ws, policy)
        assert sorted(ds.excluded) == sorted(bad)
    assert run([*w, "quarantine", "release", bad[0]]) == 0
    assert run([*w, "quarantine", "confirm", bad[1]]) == 0
    with Workspace.open(root, write=True) as ws:
        ds = build_dataset_version(ws, ws.get_policy())
        assert ds.excluded == [bad[1]]                    # released back, confirmed stays out
        assert ws.counts()["samples"] == 40               # nothing deleted
    assert run([*w, "quarantine", "why", new[0]]) == 0
    assert "no flags" in capsys.readouterr().out


def test_dry_run_quarantines_nothing(wsdir, monkeypatch, capsys):
    root, new = wsdir
    fake_model(monkeypatch, drop={new[0]})
    assert run(["-w", str(root), "verify", "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    with Workspace.open(root) as ws:
        assert ws.list_flags() == []


@pytest.mark.parametrize("args, message", [
    (["verify", "--model", "nope"], "nope"),
    (["verify", "--model", "x", "--folds", "2"], "give one"),
    (["quarantine", "release", "s-0001"], "has no flag"),
    (["quarantine", "list", "--status", "odd"], "--status 'odd' is not one of"),
])
def test_bad_input_exits_2_with_one_line(wsdir, capsys, args, message):
    root, _ = wsdir
    assert run(["-w", str(root), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) <= 2


def test_verify_with_crops_trains_its_own_classifiers(wsdir, capsys):
    root, _ = wsdir
    from synthloop.tools.config import CONFIG_NAME
    (root / CONFIG_NAME).write_text("[verify.crops]\nepochs = 2\nsearch_epochs = 2\nmin_samples = 10\n")
    assert run(["-w", str(root), "verify", "--crops", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "verifying 40 samples with 2 out-of-fold object-crop classifiers" in out
    assert "dry run" in out
    with Workspace.open(root) as ws:
        assert ws.list_flags() == [] and ws.counts()["samples"] == 40
