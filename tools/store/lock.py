"""The writer lock of a workspace: one process writes at a time.

It is an flock on `<workspace>/.lock`, so the kernel drops it when its holder dies: a lock
file left by a dead process is simply taken over. The file holds the holder's pid for the
message the second writer sees. Re-entrant within one process.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from ..errors import WorkspaceLocked

_held: dict[str, list[int]] = {}  # realpath -> [fd, depth]
_mutex = threading.Lock()


def _read_pid(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return -1


def acquire(root: Path) -> bool:
    """Take the writer lock of `root` or raise WorkspaceLocked naming the holder's pid.
    True when this call took it, False when this process already held it."""
    key = os.path.realpath(root)
    with _mutex:
        if key in _held:
            _held[key][1] += 1
            return False
        lock_path = Path(key) / ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WorkspaceLocked(str(root), _read_pid(lock_path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _held[key] = [fd, 1]
        return True


def release(root: Path) -> None:
    key = os.path.realpath(root)
    with _mutex:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        fd = entry[0]
        del _held[key]
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def holder(root: Path) -> int | None:
    """The pid holding the lock, or None when the workspace is free."""
    key = os.path.realpath(root)
    if key in _held:
        return os.getpid()
    lock_path = Path(key) / ".lock"
    if not lock_path.exists():
        return None
    fd = os.open(lock_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_pid(lock_path)
    finally:
        os.close(fd)
    return None
