"""The one error hierarchy of synthloop.

    SynthloopError                  base; never raised directly
     ├── UserError                  bad input: the CLI prints one line + hint, exit 2
     │    ├── WorkspaceError        missing / not a workspace / schema too new
     │    │    └── WorkspaceLocked  another live process holds the writer lock
     │    ├── ConfigError           invalid synthloop.toml or environment value
     │    ├── ValidationError       a record, file or argument failed its checks
     │    ├── NotFound              an id / version / file that does not exist
     │    └── StorageError          the disk: full, read-only, no permission, busy
     │                              (`storage_error` turns an OSError into one)
     └── ExternalError              a dependency outside our code failed (LLM endpoint,
                                    weights, GPU); still a clear one-line message, exit 2
                                    when the user can fix it, which is the usual case

Anything else that escapes is an internal error: exit 1 and a pointer to the log file.
Each error carries `hint`, a short sentence saying what to try next.
"""

from __future__ import annotations

import errno
import sqlite3


class SynthloopError(Exception):
    """Base of every error synthloop raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and hint as one line for a terminal."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class UserError(SynthloopError):
    """Bad input the user can fix."""

    exit_code = 2


class WorkspaceError(UserError):
    """The workspace folder is missing, not a workspace, or of a newer schema."""


class WorkspaceLocked(WorkspaceError):
    """Another live process is writing to the workspace."""

    def __init__(self, path: str, pid: int):
        super().__init__(
            f"workspace {path} is in use by pid {pid}",
            "wait for that run to finish, or stop it; a lock left by a dead process is taken over",
        )
        self.pid = pid


class ConfigError(UserError):
    """synthloop.toml or an environment variable holds an invalid value."""


class ValidationError(UserError):
    """A record, file or argument failed its checks."""


class NotFound(UserError):
    """An id, version or file that does not exist."""


class ExternalError(SynthloopError):
    """Something outside synthloop failed: an endpoint, weights on disk, a GPU."""

    exit_code = 2


class StorageError(UserError):
    """The user's storage refused a write: disk full, read-only, no permission, busy."""


_STORAGE = {
    errno.ENOSPC: ("no space left on the device", "free some disk space, or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", "free some space within your quota, or write elsewhere"),
    errno.EROFS: ("the file system is read-only", "choose a folder on a writable disk"),
    errno.EACCES: ("permission denied", "check the folder's permissions, or choose another"),
    errno.EPERM: ("operation not permitted", "check the folder's permissions, or choose another"),
    errno.EBUSY: ("device or resource busy", "close what uses it, or choose another folder"),
}
_SQLITE = {"database or disk is full": errno.ENOSPC,
           "attempt to write a readonly database": errno.EROFS}


def storage_error(exc: BaseException) -> StorageError | None:
    """A StorageError for an exception (or one it was raised from) that the user's disk
    caused; None for anything else. Other OSErrors (a missing file, a bug) stay internal."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, StorageError):
            return e
        code = e.errno if isinstance(e, OSError) else None
        if isinstance(e, sqlite3.OperationalError):
            code = next((c for m, c in _SQLITE.items() if m in str(e)), None)
        if code in _STORAGE:
            what, hint = _STORAGE[code]
            where = getattr(e, "filename", None)
            return StorageError(f"cannot write{f' {where}' if where else ''}: {what}", hint)
        e = e.__cause__ or e.__context__
    return None
