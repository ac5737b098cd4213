"""The workspace store (tools/store/) owns the SQL: nothing else in the library writes a
statement against the workspace database, so its schema can change in one place."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.paths import ROOT

LIBRARY = ("agent", "tools", "evals")
STORE = ROOT / "tools" / "store"
SQL = re.compile(r"\.execute(?:many|script)?\(|\bSELECT\s|\bINSERT\s|\bUPDATE\s|\bDELETE\s+FROM\b")

# Files that may hold SQL, and why. Neither touches the workspace database (synthloop.db):
ALLOWED = {
    # LangGraph's checkpointer database (checkpoints.db): listing its threads reads the
    # checkpointer's own `checkpoints` table, whose schema is LangGraph's, not the store's.
    "agent/runner.py",
    # The runner's status table kept inside checkpoints.db beside those checkpoints (how
    # each run last ended, which a checkpoint cannot tell); the agent's, not the store's.
    "agent/run_status.py",
}


def sql_lines(path: Path) -> list[str]:
    """`file:line: text` for every line of `path` that looks like SQL or runs it."""
    rel = path.relative_to(ROOT).as_posix()
    return [f"{rel}:{n}: {line.strip()}"
            for n, line in enumerate(path.read_text().splitlines(), 1) if SQL.search(line)]


def library_files() -> list[Path]:
    return sorted(p for top in LIBRARY for p in (ROOT / top).rglob("*.py")
                  if STORE not in p.parents and ".venv" not in p.parts)


def test_no_sql_outside_the_store():
    found = [hit for p in library_files()
             if p.relative_to(ROOT).as_posix() not in ALLOWED for hit in sql_lines(p)]
    assert found == [], "SQL outside tools/store/ (add a store method instead):\n" + "\n".join(found)


def test_the_scan_sees_sql_and_the_allowed_files_still_need_it():
    assert sql_lines(STORE / "records.py")  # the pattern matches real statements
    for rel in sorted(ALLOWED):  # an entry whose SQL has gone should go too
        assert sql_lines(ROOT / rel), f"{rel} holds no SQL any more: drop it from ALLOWED"
    assert not SQL.search("selection of samples; update the report")  # prose is not SQL
