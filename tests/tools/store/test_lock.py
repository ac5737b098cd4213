"""The writer lock between processes: one wins, the other is told who holds it."""

from __future__ import annotations

import os
import signal

import pytest

from synthloop.tools.errors import WorkspaceLocked
from synthloop.tools.store import Workspace
from tests.support.lock_holder import start_lock_holder


def test_second_writer_gets_clear_error_then_takes_over_a_dead_holders_lock(tmp_path):
    Workspace.init(tmp_path / "w").close()
    holder = start_lock_holder(tmp_path / "w")
    try:
        with pytest.raises(WorkspaceLocked) as err:
            Workspace.open(tmp_path / "w", write=True)
        assert err.value.pid == holder.pid
        assert f"in use by pid {holder.pid}" in err.value.one_line()
        # readers are not blocked by a writer
        with Workspace.open(tmp_path / "w") as ro:
            assert ro.counts()["samples"] == 0
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    # the lock file still names the dead pid; the kernel dropped the lock, so we take it
    assert (tmp_path / "w" / ".lock").read_text().strip() == str(holder.pid)
    with Workspace.open(tmp_path / "w", write=True) as ws:
        assert (tmp_path / "w" / ".lock").read_text().strip() == str(os.getpid())
        ws.save_specs([])


def test_lock_is_reentrant_within_a_process(tmp_path):
    a = Workspace.init(tmp_path / "w")
    b = Workspace.open(tmp_path / "w", write=True)
    b.close()
    a.save_specs([])  # still ours
    a.close()
