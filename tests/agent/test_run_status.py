"""How runs ended: a clean error is recorded as `failed`, a dead process's run reads as
`killed`, and `resume` without a thread picks the latest resumable run and says which
(issue 14, item 13)."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from synthloop.agent import run_status
from synthloop.agent.cli import run
from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.runner import RunOutcome, latest_resumable, run_info, start_run
from synthloop.tools.errors import SynthloopError, ValidationError
from tests.support.loop import quiet_context, tiny_settings


def _paused_and_failed(ws, tmp_path):
    ctx = quiet_context(ws, ScriptedLLM([], workspace=ws))
    out = start_run(ws, ctx, "ppe", tiny_settings(iterations=0, auto_approve=False,
                                                  example_policy="ppe"), thread_id="t-paused")
    assert out.paused is not None
    with pytest.raises(SynthloopError) as e:
        start_run(ws, ctx, "ppe", tiny_settings(policy_file=str(tmp_path / "gone.yaml")),
                  thread_id="t-failed")
    return e.value


def test_a_clean_error_is_recorded_and_resume_skips_that_run(ws, tmp_path):
    err = _paused_and_failed(ws, tmp_path)
    failed = run_info(ws, "t-failed")
    assert failed["next"]  # the checkpoint alone would call it running/killed
    assert failed["state"] == "failed" and not failed["resumable"]
    assert failed["error"] == err.one_line()
    assert run_info(ws, "t-paused")["state"] == "paused (review)"
    thread, later = latest_resumable(ws)
    assert thread == "t-paused" and [i["thread_id"] for i in later] == ["t-failed"]


def test_runs_and_resume_on_the_command_line(ws, tmp_path, capsys, monkeypatch):
    _paused_and_failed(ws, tmp_path)
    w = str(ws.root)
    assert run(["-w", w, "runs"]) == 0
    out = capsys.readouterr().out
    assert "failed" in out and "running/killed" not in out and "paused (review)" in out
    resumed = []

    def fake_resume(ws_, ctx, thread, answer=None, on_update=None):
        resumed.append(thread)
        return RunOutcome(thread_id=thread, state={}, paused={"policy_version": 1})

    monkeypatch.setattr("synthloop.agent.runner.resume_run", fake_resume)
    monkeypatch.setattr("synthloop.agent.cli.loop_view.loop_context", lambda sv_, **k: None)
    assert run(["-w", w, "resume"]) == 0
    out = capsys.readouterr().out
    assert resumed == ["t-paused"]
    assert "latest resumable run is t-paused" in out and "t-failed: failed" in out


def test_a_running_row_of_a_dead_process_reads_as_killed(ws):
    run_status.record(ws, "t-x", "running")
    assert run_status.read(ws, "t-x").status == "running"  # this process holds the lock
    dead = subprocess.Popen(["true"])
    dead.wait()
    con = sqlite3.connect(ws.checkpoint_path)
    with con:
        con.execute("UPDATE synthloop_run_status SET pid=? WHERE thread_id='t-x'", (dead.pid,))
    con.close()
    assert run_status.read(ws, "t-x").status == "killed"


def test_nothing_to_resume_says_why(ws, tmp_path):
    with pytest.raises(ValidationError, match="no run to resume"):
        latest_resumable(ws)
    ctx = quiet_context(ws, ScriptedLLM([], workspace=ws))
    with pytest.raises(SynthloopError):
        start_run(ws, ctx, "ppe", tiny_settings(policy_file=str(tmp_path / "gone.yaml")),
                  thread_id="t-only")
    with pytest.raises(ValidationError, match=r"no run can be resumed \(t-only: failed\)"):
        latest_resumable(ws)
