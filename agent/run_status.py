"""How each run last ended, kept beside LangGraph's checkpoints (in checkpoints.db).

A checkpoint only says which node runs next; it cannot tell a run that stopped on a clean
error from one still running or one killed. So the runner records, per thread: `running`
(with its pid) when it starts driving the graph, then `paused`, `done`, `interrupted`
(Ctrl-C, SIGTERM) or `failed` (with the one-line error). A `running` row whose pid no
longer holds the workspace lock was killed (kill -9, a crash, a power cut).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from synthloop.tools.store import lock

_TABLE = ("CREATE TABLE IF NOT EXISTS synthloop_run_status (thread_id TEXT PRIMARY KEY, "
          "status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', pid INTEGER, "
          "updated_at TEXT NOT NULL)")


@dataclass(frozen=True)
class RunStatus:
    status: str
    """running | paused | done | interrupted | failed"""
    error: str = ""
    pid: int | None = None


def _connect(ws) -> sqlite3.Connection:
    con = sqlite3.connect(ws.checkpoint_path, timeout=30)
    con.execute(_TABLE)
    return con


def record(ws, thread_id: str, status: str, error: str = "") -> None:
    """Store how `thread_id` stands now (the pid is this process's)."""
    con = _connect(ws)
    try:
        with con:
            con.execute("INSERT OR REPLACE INTO synthloop_run_status VALUES (?, ?, ?, ?, ?)",
                        (thread_id, status, error[:500], os.getpid(),
                         datetime.now(UTC).isoformat(timespec="seconds")))
    finally:
        con.close()


def read(ws, thread_id: str) -> RunStatus | None:
    """The recorded status; a `running` row left by a dead process reads as `killed`."""
    if not ws.checkpoint_path.exists():
        return None
    con = _connect(ws)
    try:
        row = con.execute("SELECT status, error, pid FROM synthloop_run_status "
                          "WHERE thread_id=?", (thread_id,)).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    status, error, pid = row
    if status == "running" and pid != lock.holder(ws.root):
        status = "killed"
    return RunStatus(status=status, error=error, pid=pid)
