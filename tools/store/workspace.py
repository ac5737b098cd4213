"""A workspace: one folder per project.

    <root>/synthloop.db        SQLite (WAL): policies, specs, samples, datasets, runs, reports...
    <root>/checkpoints.db      LangGraph's checkpointer (written by the agent)
    <root>/synthloop.toml      configuration
    <root>/files/ab/<sha>.png  content-addressed images
    <root>/runs/, reports/, exports/   artefacts written by tools
    <root>/logs/synthloop.log  the log file errors point to
    <root>/.lock               the writer lock (see lock.py)

Writes: one SQLite transaction per logical step (`with ws.transaction():`), files written
atomically first; if the step fails, the files it created are removed again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..errors import NotFound, WorkspaceError, WorkspaceLocked
from . import lock
from .comments import CommentsMixin
from .files import atomic_write, content_path, write_new
from .records import RecordsMixin
from .schema import migrate

DB_NAME = "synthloop.db"
MARKER = DB_NAME


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


ORPHANED = "the process training it ended before the run did (killed, crashed, or its disk " \
    "was full); continue it with --resume"


def _end_orphaned_runs(conn: sqlite3.Connection) -> None:
    """Training runs still marked running when a process has just taken the writer lock
    belong to a process that is gone (only the lock holder trains): mark them interrupted,
    so none stays `running` forever."""
    conn.execute("UPDATE train_runs SET status='interrupted', "
                 "data=json_set(data, '$.status', 'interrupted', '$.error', ?) "
                 "WHERE status='running'", (ORPHANED,))


def _upgrade_for_reading(root: Path, conn: sqlite3.Connection) -> None:
    """An older database opened read-only is migrated all the same (the readers ask for
    its new tables and columns) when its writer lock is free; when a writer holds it, that
    writer has migrated it already (or is an older synthloop: then reading goes on as is),
    and a database that cannot be written (a read-only copy) is read as it is."""
    try:
        lock.acquire(root)
    except (WorkspaceLocked, OSError):
        return
    try:
        migrate(conn, str(root / DB_NAME))
    except sqlite3.OperationalError:
        pass
    finally:
        lock.release(root)


class Workspace(RecordsMixin, CommentsMixin):
    """Open with `Workspace.open(path, write=True)` (takes the lock) or `Workspace.init(path)`."""

    def __init__(self, root: Path, *, write: bool):
        self.root = root
        self.write = write
        self._conn: sqlite3.Connection | None = None
        self._tx_depth = 0
        self._tx_files: list[Path] = []
        self._shards: set[Path] = set()  # content folders known to exist
        self._tx_lock = threading.RLock()

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike) -> Workspace:
        """Create a workspace at `path` (or open the one already there) for writing."""
        root = Path(path).expanduser()
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root} exists and is not a folder", "choose another path")
        if root.is_dir() and not (root / MARKER).exists() and any(root.iterdir()):
            raise WorkspaceError(
                f"{root} is not empty and is not a synthloop workspace",
                "choose an empty or new folder, so nothing of yours is overwritten",
            )
        try:
            for sub in ("files", "runs", "reports", "exports", "logs"):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise WorkspaceError(f"cannot create workspace at {root}: {e.strerror}",
                                 "check the path and its permissions") from e
        ws = cls(root.resolve(), write=True)
        ws._open()
        from ..config import write_default_config

        write_default_config(ws.root)
        return ws

    @classmethod
    def open(cls, path: str | os.PathLike, *, write: bool = False) -> Workspace:
        root = Path(path).expanduser()
        if not root.exists():
            raise WorkspaceError(f"workspace {root} does not exist", f"run: synthloop init {root}")
        if not (root / MARKER).exists():
            raise WorkspaceError(f"{root} is not a synthloop workspace (no {MARKER})",
                                 f"run: synthloop init {root}")
        ws = cls(root.resolve(), write=write)
        ws._open()
        return ws

    def _open(self) -> None:
        first = lock.acquire(self.root) if self.write else False
        try:
            conn = sqlite3.connect(self.root / DB_NAME, isolation_level=None,
                                   check_same_thread=False, timeout=30)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            if self.write:
                migrate(conn, str(self.root / DB_NAME))
                if first:
                    _end_orphaned_runs(conn)
            else:
                from .schema import SCHEMA_VERSION, current_version

                have = current_version(conn)
                if have > SCHEMA_VERSION:
                    migrate(conn, str(self.root / DB_NAME))  # raises the clear error
                elif have < SCHEMA_VERSION:
                    _upgrade_for_reading(self.root, conn)
            self._conn = conn
        except BaseException:
            if self.write:
                lock.release(self.root)
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            if self.write:
                lock.release(self.root)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise WorkspaceError(f"workspace {self.root} is closed")
        return self._conn

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def checkpoint_path(self) -> Path:
        return self.root / "checkpoints.db"

    @property
    def log_path(self) -> Path:
        return self.root / "logs" / "synthloop.log"

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One logical step: all rows commit together or none do, and files the step
        created are deleted again if it fails. Nested calls join the outer transaction."""
        self._require_write()
        with self._tx_lock:
            outer = self._tx_depth == 0
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
                self._tx_files = []
            self._tx_depth += 1
            try:
                yield self.conn
            except BaseException:
                self._tx_depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                    for p in self._tx_files:
                        p.unlink(missing_ok=True)
                    self._tx_files = []
                raise
            else:
                self._tx_depth -= 1
                if outer:
                    self.conn.execute("COMMIT")
                    self._tx_files = []

    def _require_write(self) -> None:
        if not self.write:
            raise WorkspaceError(f"workspace {self.root} was opened read-only")

    # -- files -----------------------------------------------------------------------------
    def put_bytes(self, data: bytes, ext: str) -> str:
        """Store `data` content-addressed; returns its workspace-relative path."""
        rel = content_path(data, ext)
        target = self.root / rel
        if not target.exists():
            folder = target.parent
            if folder not in self._shards:  # files/ab: made once, then remembered
                folder.mkdir(parents=True, exist_ok=True)
                self._shards.add(folder)
            write_new(target, data)
            if self._tx_depth:
                self._tx_files.append(target)
        return rel

    def write_artifact(self, rel: str, data: bytes) -> Path:
        """Atomically write a named artefact (report page, plot) under the workspace."""
        target = self.path(rel)
        existed = target.exists()
        atomic_write(target, data)
        if self._tx_depth and not existed:
            self._tx_files.append(target)
        return target

    def path(self, rel: str) -> Path:
        """Resolve a workspace-relative path, refusing anything that escapes the workspace."""
        p = (self.root / rel).resolve()
        if p != self.root and self.root not in p.parents:
            raise NotFound(f"path {rel!r} points outside the workspace {self.root}")
        return p
