"""`synthloop generate`: approval gate, auto-approval, summary and contact sheet, re-runs."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from synthloop.agent.cli.app import run
from synthloop.tools.design import load_example_policy
from synthloop.tools.store import Workspace


@pytest.fixture
def ws_path(tmp_path, monkeypatch):
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.save_policy(load_example_policy("ppe"))
    for key, value in {"WORKERS": "1", "WIDTH": "96", "HEIGHT": "96"}.items():
        monkeypatch.setenv(f"SYNTHLOOP_GENERATOR__{key}", value)
    return path


def test_an_unapproved_policy_is_refused_with_exit_2(ws_path, capsys):
    code = run(["-w", str(ws_path), "generate", "--n", "4"])
    err = capsys.readouterr().err
    assert code == 2
    assert "never reviewed" in err and "--auto-approve" in err
    with Workspace.open(ws_path) as ws:
        assert ws.counts()["samples"] == 0 and ws.counts()["specs"] == 0


def test_a_rejected_policy_is_refused_too(ws_path, capsys):
    with Workspace.open(ws_path, write=True) as ws:
        ws.record_review(1, "rejected", "too vague")
    assert run(["-w", str(ws_path), "generate", "--n", "4"]) == 2
    assert "was rejected" in capsys.readouterr().err


def test_auto_approve_records_the_review_and_generates(ws_path, capsys):
    code = run(["-w", str(ws_path), "generate", "--n", "10", "--auto-approve", "--seed", "3",
                "--split", "val", "--strategy", "random"])
    out = capsys.readouterr().out
    assert code == 0, out
    with Workspace.open(ws_path) as ws:
        assert ws.review_status(1) == ("auto-approved", "synthloop generate --auto-approve")
        samples = list(ws.iter_samples())
        assert len(samples) == 10 and {s.split for s in samples} == {"val"}
    assert "generated" in out and "objects per class" in out
    sheet = re.search(r"contact sheet of the first 10 images: (\S+\.png)", out.replace("\n", ""))
    assert sheet, out
    assert Image.open(sheet.group(1)).size[0] > 400


def test_the_same_seed_again_adds_nothing_and_says_how_to_get_more(ws_path, capsys):
    assert run(["-w", str(ws_path), "generate", "--n", "6", "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["-w", str(ws_path), "generate", "--n", "6"]) == 0
    out = capsys.readouterr().out
    assert "--seed 1" in out
    with Workspace.open(ws_path) as ws:
        assert ws.counts()["samples"] == 6


def test_a_full_disk_during_generation_is_one_line_exit_2(ws_path, capsys, monkeypatch):
    """Issue 14, item 7: the user's disk, not an internal error; what was stored stays."""
    import errno

    real_put = Workspace.put_bytes
    calls = []

    def put_bytes(self, data, ext):
        calls.append(1)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.root / "files"))
        return real_put(self, data, ext)

    monkeypatch.setattr(Workspace, "put_bytes", put_bytes)
    assert run(["-w", str(ws_path), "generate", "--n", "12", "--auto-approve"]) == 2
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1 and "no space left on the device" in errors[0]
    assert "internal error" not in err and "free some disk space" in errors[0]
    with Workspace.open(ws_path) as ws:
        assert ws.counts()["samples"] <= 3


def test_a_bad_diffusers_model_is_refused_before_any_spec_is_stored(ws_path, tmp_path, capsys):
    code = run(["-w", str(ws_path), "generate", "--n", "200", "--auto-approve",
                "--generator", "diffusers", "--model", str(tmp_path / "no-such-model")])
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err
    with Workspace.open(ws_path) as ws:
        assert ws.counts()["specs"] == 0  # before the fix: 200 specs stored, no images
