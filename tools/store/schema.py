"""The workspace database schema and its migrations.

Records are stored as JSON in `data`, with the columns we filter on lifted beside it.
`MIGRATIONS[n]` takes a database from version n-1 to n: each step is an SQL statement, or
a function of the connection where a statement alone cannot be written to run safely (SQLite
has no ADD COLUMN IF NOT EXISTS). A database newer than the code (someone opened it with a
later synthloop) is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..errors import WorkspaceError

SCHEMA_VERSION = 5


def _add_column(table: str, column: str, decl: str) -> Callable[[sqlite3.Connection], None]:
    """A step adding `column` to `table` unless it is there already."""
    def step(conn: sqlite3.Connection) -> None:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
    return step


MIGRATIONS: dict[int, list[str | Callable[[sqlite3.Connection], None]]] = {
    1: [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE policies (
            version INTEGER PRIMARY KEY, parent_version INTEGER, hash TEXT NOT NULL,
            title TEXT NOT NULL, created_at TEXT NOT NULL, data TEXT NOT NULL)""",
        """CREATE TABLE reviews (
            id INTEGER PRIMARY KEY AUTOINCREMENT, policy_version INTEGER NOT NULL,
            decision TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)""",
        """CREATE TABLE scenarios (
            policy_version INTEGER NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
            data TEXT NOT NULL, PRIMARY KEY (policy_version, id))""",
        """CREATE TABLE specs (
            id TEXT PRIMARY KEY, policy_version INTEGER NOT NULL, scenario_id TEXT NOT NULL,
            split TEXT NOT NULL, iteration INTEGER NOT NULL, created_at TEXT NOT NULL,
            data TEXT NOT NULL)""",
        "CREATE INDEX specs_by_iter ON specs (policy_version, iteration)",
        """CREATE TABLE samples (
            id TEXT PRIMARY KEY, spec_id TEXT, image TEXT NOT NULL, split TEXT,
            source TEXT NOT NULL, created_at TEXT NOT NULL, data TEXT NOT NULL)""",
        "CREATE UNIQUE INDEX samples_by_spec ON samples (spec_id) WHERE spec_id IS NOT NULL",
        """CREATE TABLE datasets (
            id TEXT PRIMARY KEY, policy_version INTEGER NOT NULL, created_at TEXT NOT NULL,
            data TEXT NOT NULL)""",
        """CREATE TABLE train_runs (
            id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL, status TEXT NOT NULL,
            created_at TEXT NOT NULL, data TEXT NOT NULL)""",
        """CREATE TABLE reports (
            id TEXT PRIMARY KEY, train_run_id TEXT, created_at TEXT NOT NULL,
            data TEXT NOT NULL)""",
        """CREATE TABLE iterations (
            thread_id TEXT NOT NULL, number INTEGER NOT NULL, created_at TEXT NOT NULL,
            data TEXT NOT NULL, PRIMARY KEY (thread_id, number))""",
        """CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
            template TEXT NOT NULL, endpoint TEXT NOT NULL, model TEXT NOT NULL,
            prompt TEXT NOT NULL, reply TEXT NOT NULL, parsed TEXT, error TEXT,
            prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
            latency_s REAL NOT NULL)""",
    ],
    # Label verification (issue 15): one row per (sample, verifier); never deleted, only
    # moved between quarantined / released / confirmed.
    2: [
        """CREATE TABLE sample_flags (
            sample_id TEXT NOT NULL, verifier TEXT NOT NULL, score REAL NOT NULL,
            reason TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sample_id, verifier))""",
        "CREATE INDEX sample_flags_by_status ON sample_flags (status)",
    ],
    # The LLM reply cache (issue 16): one complete reply per request key, replayed instead
    # of asked again; llm_calls marks the attempts it answered.
    3: [
        """CREATE TABLE IF NOT EXISTS llm_replies (
            key TEXT PRIMARY KEY, model TEXT NOT NULL, template TEXT NOT NULL,
            reply TEXT NOT NULL, finish_reason TEXT, prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL, created_at TEXT NOT NULL)""",
        _add_column("llm_calls", "cached", "INTEGER NOT NULL DEFAULT 0"),
    ],
    # The review desk (issue 19): reviewers' comments on a version's rules and scenarios.
    4: [
        """CREATE TABLE IF NOT EXISTS comments (
            id INTEGER PRIMARY KEY AUTOINCREMENT, policy_version INTEGER NOT NULL,
            target TEXT NOT NULL, target_id TEXT NOT NULL DEFAULT '', text TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS comments_by_version ON comments (policy_version)",
        "CREATE INDEX IF NOT EXISTS specs_by_scenario ON specs (policy_version, scenario_id)",
    ],
    # Where an LLM call's time went (issue 16): prompt tokens the server reused from its KV
    # cache, and seconds spent evaluating the prompt (the rest of latency_s is generation).
    5: [
        _add_column("llm_calls", "prompt_cached", "INTEGER NOT NULL DEFAULT 0"),
        _add_column("llm_calls", "prompt_s", "REAL"),
    ],
}


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    if row is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the database to SCHEMA_VERSION, one transaction per step."""
    have = current_version(conn)
    if have > SCHEMA_VERSION:
        raise WorkspaceError(
            f"workspace database {path} has schema version {have}, newer than this synthloop "
            f"understands ({SCHEMA_VERSION})",
            "upgrade synthloop (pip install -U synthloop) or use a new workspace",
        )
    for n in range(have + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in MIGRATIONS[n]:
                if callable(stmt):
                    stmt(conn)
                else:
                    conn.execute(stmt)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(n),)
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
