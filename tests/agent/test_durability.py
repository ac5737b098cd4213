"""kill -9 during generation and again during training, then `synthloop resume`: exact
sample counts, no duplicates, one training run per iteration."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TINY_ENV = {
    "SYNTHLOOP_LOOP__INITIAL_IMAGES": "400", "SYNTHLOOP_LOOP__IMAGES_PER_ITERATION": "60",
    "SYNTHLOOP_LOOP__HOLDOUT_IMAGES": "40", "SYNTHLOOP_GENERATOR__WIDTH": "128",
    "SYNTHLOOP_GENERATOR__HEIGHT": "128", "SYNTHLOOP_GENERATOR__WORKERS": "1",
    "SYNTHLOOP_TRAINING__EPOCHS": "2", "SYNTHLOOP_TRAINING__IMGSZ": "64",
    "SYNTHLOOP_TRAINING__BATCH": "16",
}


def _cli(ws: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, **TINY_ENV}
    return subprocess.Popen([sys.executable, "-c", "from synthloop.agent.cli import main; main()",
                             "-w", str(ws), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            cwd=ws.parent)  # the installed package, not the checkout's folders


def _query(ws: Path, sql: str) -> int:
    db = ws / "synthloop.db"
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _kill_when(p: subprocess.Popen, ws: Path, sql: str, timeout: float = 240) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {p.stderr.read()[-2000:]}")
        n = _query(ws, sql)
        if n:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            return n
        time.sleep(0.02)
    p.kill()
    pytest.fail(f"condition never met: {sql}")


def test_kill_during_generation_and_training_then_resume(tmp_path):
    ws = tmp_path / "ws"
    run = _cli(ws, "run", "workers wear PPE", "--example", "ppe", "--planner", "allocator",
               "--auto-approve", "--iterations", "1", "--thread", "t-kill")
    got = _kill_when(run, ws, "SELECT COUNT(*) FROM samples")
    total_initial = 400 + 60 + 40
    assert 0 < got < total_initial, "killed too late to test resume of generation"

    resume = _cli(ws, "resume", "t-kill")
    _kill_when(resume, ws, "SELECT COUNT(*) FROM train_runs WHERE status='running'")

    final = _cli(ws, "resume", "t-kill")
    _, err = final.communicate(timeout=900)
    assert final.returncode == 0, err[-3000:]

    con = sqlite3.connect(ws / "synthloop.db")
    (version,) = con.execute("SELECT MAX(version) FROM policies").fetchone()
    specs = con.execute("SELECT COUNT(*) FROM specs WHERE policy_version=?", (version,)).fetchone()[0]
    samples, distinct = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT spec_id) FROM samples").fetchone()
    assert specs == total_initial + 60
    assert samples == distinct == specs  # nothing lost, nothing duplicated
    runs = con.execute("SELECT status, COUNT(*) FROM train_runs GROUP BY status").fetchall()
    assert runs == [("finished", 2)]  # one per iteration, the killed one finished on resume
    iters = con.execute("SELECT number FROM iterations WHERE thread_id='t-kill' "
                        "ORDER BY number").fetchall()
    assert iters == [(0,), (1,)]
    orphans = [p for p in (ws / "files").rglob("*.png")
               if not con.execute("SELECT 1 FROM samples WHERE image=?",
                                  (str(p.relative_to(ws)),)).fetchone()]
    assert orphans == []
