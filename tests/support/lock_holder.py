"""Another process that holds a workspace's writer lock until told to let go."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HOLDER = textwrap.dedent("""
    import sys, time
    from synthloop.tools.store import Workspace
    ws = Workspace.open(sys.argv[1], write=True)
    print("locked", flush=True)
    sys.stdin.readline()   # hold the lock until told (or killed)
""")


def start_lock_holder(path) -> subprocess.Popen:
    """A python process that has opened the workspace at `path` for writing (its lock is
    held when this returns); write a line to its stdin, or kill it, to release it."""
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p
