"""The procedural worker pool never outlives its owner: after kill -9 of the owner the
workers, the forkserver and the resource tracker exit; SIGTERM of `synthloop generate`
cleans up like Ctrl-C (issue 14, item 12)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from synthloop.tools.design import load_example_policy
from synthloop.tools.store import Workspace

OWNER = """
import os, sys, time, psutil
from synthloop.tools.generate.procedural.pool import RenderPool
pool = RenderPool(2)
assert len(list(pool.imap(os.getpid, [()] * 6, window=4))) == 6
print(" ".join(str(p.pid) for p in psutil.Process().children(recursive=True)), flush=True)
time.sleep(300)
"""


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.time() + timeout
    while _alive(pids) and time.time() < deadline:
        time.sleep(0.1)
    left = _alive(pids)
    for pid in left:  # never leave them behind for the rest of the suite
        os.kill(pid, signal.SIGKILL)
    return left


def test_kill_9_of_the_owner_ends_workers_forkserver_and_resource_tracker():
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in owner.stdout.readline().split()]
    finally:
        owner.kill()
        owner.wait()
    assert len(pids) >= 4  # forkserver, resource tracker, two workers
    assert _wait_gone(pids, timeout=10) == []


def _samples(root) -> int:
    try:
        con = sqlite3.connect(f"file:{root / 'synthloop.db'}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def test_sigterm_of_generate_cleans_up_like_ctrl_c(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        ws.save_policy(load_example_policy("ppe"))
    env = {**os.environ, "SYNTHLOOP_GENERATOR__WORKERS": "2", "SYNTHLOOP_GENERATOR__WIDTH": "96",
           "SYNTHLOOP_GENERATOR__HEIGHT": "96"}
    p = subprocess.Popen([sys.executable, "-c", "from synthloop.agent.cli import main; main()",
                          "-w", str(root), "generate", "--n", "20000", "--auto-approve"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while _samples(root) == 0 and p.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    if p.poll() is not None or _samples(root) == 0:
        p.kill()
        pytest.fail(f"generation never started: {p.stderr.read()[-2000:]}")
    kids = [c.pid for c in psutil.Process(p.pid).children(recursive=True)]
    assert len(kids) >= 3
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("generate did not stop on SIGTERM")
    err = p.stderr.read()
    assert rc == 143, err[-2000:]
    assert "terminated" in err and "internal error" not in err
    assert _wait_gone(kids, timeout=10) == []
    stored = _samples(root)
    assert 0 < stored < 20000
    with Workspace.open(root) as ws:  # what was stored is whole: an image per sample
        assert all(ws.path(s.image).is_file() for s in ws.iter_samples())
