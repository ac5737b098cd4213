"""The CLI: exit codes and one-line messages, never a traceback for bad input."""

from __future__ import annotations

import os
import signal

import pytest

from synthloop.agent.cli import run
from tests.support.lock_holder import start_lock_holder


def test_help_lists_the_commands(capsys):
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("init", "status", "config"):
        assert cmd in out


def test_init_then_status(tmp_path, capsys):
    w = tmp_path / "proj"
    assert run(["init", str(w)]) == 0
    assert (w / "synthloop.db").exists() and (w / "synthloop.toml").exists()
    assert run(["-w", str(w), "status"]) == 0
    out = capsys.readouterr().out
    assert "policy versions" in out and "samples" in out
    assert run(["init", str(w)]) == 0  # idempotent
    assert "opened existing" in capsys.readouterr().out


def test_workspace_from_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SYNTHLOOP_WORKSPACE", str(tmp_path / "envws"))
    assert run(["init"]) == 0
    assert (tmp_path / "envws" / "synthloop.db").exists()


@pytest.mark.parametrize("setup, needle", [
    ("missing", "does not exist"),
    ("file", "not a synthloop workspace"),
    ("foreign", "not a synthloop workspace"),
])
def test_bad_workspace_path_exits_2_with_one_line(tmp_path, capsys, setup, needle):
    w = tmp_path / "x"
    if setup == "file":
        w.write_text("hello")
    elif setup == "foreign":
        w.mkdir()
        (w / "notes.txt").write_text("mine")
    assert run(["-w", str(w), "status"]) == 2
    err = capsys.readouterr().err
    assert needle in err and "hint" in err and "Traceback" not in err


def test_init_on_a_file_exits_2(tmp_path, capsys):
    (tmp_path / "f").write_text("data")
    assert run(["init", str(tmp_path / "f")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert (tmp_path / "f").read_text() == "data"


def test_locked_workspace_exits_2_naming_the_pid(tmp_path, capsys):
    w = tmp_path / "w"
    assert run(["init", str(w)]) == 0
    holder = start_lock_holder(w)
    try:
        assert run(["init", str(w)]) == 2
        err = capsys.readouterr().err
        assert f"in use by pid {holder.pid}" in err
        assert run(["-w", str(w), "status"]) == 0  # reading is fine
        assert f"in use by pid {holder.pid}" in capsys.readouterr().out
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()


def test_invalid_config_exits_2(tmp_path, capsys):
    w = tmp_path / "w"
    assert run(["init", str(w)]) == 0
    (w / "synthloop.toml").write_text("[training]\nepochs = 'many'\n")
    assert run(["-w", str(w), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert "training.epochs" in err and "Traceback" not in err


def test_config_show_masks_the_key(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-planted-secret-123456")
    monkeypatch.setenv("SYNTHLOOP_TRAINING__EPOCHS", "7")
    assert run(["init", str(tmp_path / "w")]) == 0
    assert run(["-w", str(tmp_path / "w"), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "sk-test-planted-secret-123456" not in out and "***" in out
    assert "7" in out


def test_internal_error_exits_1_and_points_to_the_log(tmp_path, capsys, monkeypatch):
    w = tmp_path / "w"
    assert run(["init", str(w)]) == 0
    from synthloop.tools.store import Workspace

    def broken(self):
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(Workspace, "counts", broken)
    assert run(["-w", str(w), "status"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "synthloop.log" in err and "Traceback" not in err
    assert "planted bug" in (w / "logs" / "synthloop.log").read_text()


@pytest.mark.parametrize("argv", [["status", "--bogus"], ["no-such-command"], ["init", "a", "b"]])
def test_usage_errors_exit_2(argv, capsys):
    assert run(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_status_sums_the_llm_usage(tmp_path, capsys):
    from synthloop.tools.models import LLMCall
    from synthloop.tools.store import Workspace

    w = tmp_path / "proj"
    with Workspace.init(w) as ws:
        for tokens in (10, 32):
            ws.log_llm_call(LLMCall(template="t", endpoint="embedded", model="m", prompt="p",
                                    reply="r", prompt_tokens=tokens, completion_tokens=tokens // 2,
                                    latency_s=0.75))
    capsys.readouterr()
    assert run(["-w", str(w), "status"]) == 0
    assert "tokens in/out 42/21, 1.5 s" in capsys.readouterr().out
