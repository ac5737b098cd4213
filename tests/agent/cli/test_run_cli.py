"""`synthloop run` with bad options: one line naming the option, exit 2, and no workspace
created at the -w path (issue 14, item 6)."""

from __future__ import annotations

import pytest

from synthloop.agent.cli import run


@pytest.mark.parametrize("option, value, needle", [
    ("--budget", "-5", "--budget -5: should be greater than or equal to 1"),
    ("--iterations", "-1", "--iterations -1: should be greater than or equal to 0"),
    ("--per-iteration", "-3", "--per-iteration -3"),
    ("--epochs", "-1", "--epochs -1: should be greater than or equal to 1"),
    ("--epochs", "0", "--epochs 0"),  # 0 was silently dropped (falsy) before
    ("--imgsz", "8", "--imgsz 8"),
    ("--initial", "0", "--initial 0"),
    ("--generator", "stable", "--generator stable: is not one of procedural, diffusers"),
    ("--example", "nope", "no example policy 'nope'"),
])
def test_bad_run_options_exit_2_in_one_line_without_a_workspace(tmp_path, capsys, monkeypatch,
                                                                option, value, needle):
    started = []
    monkeypatch.setattr("synthloop.agent.cli.loop_view._execute",
                        lambda *a, **k: started.append(a))
    w = tmp_path / "mistyped"
    rc = run(["-w", str(w), "run", "hats", "--example", "ppe", option, value])
    err = capsys.readouterr().err
    assert rc == 2 and started == []
    assert needle in err and "hint" in err
    assert "pydantic" not in err and "validation error" not in err
    assert len(err.strip().splitlines()) == 1
    assert not w.exists()


def test_good_options_reach_the_run_settings(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr("synthloop.agent.cli.loop_view._execute",
                        lambda ws, goal, settings, thread: seen.append(settings))
    assert run(["-w", str(tmp_path / "w"), "run", "hats", "--example", "ppe", "--epochs", "3",
                "--generator", "gligen", "--budget", "900", "--iterations", "0"]) == 0
    (s,) = seen
    assert (s.training.epochs, s.generator.name, s.total_images, s.iterations) == \
        (3, "gligen", 900, 0)
