"""Turn a new workspace's database back into an older schema version, for migration tests:
run the given statements (drop what the later steps add) and set the stored version."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rewind_schema(root: Path, version: int, *statements: str) -> None:
    """Run `statements` on `root`'s synthloop.db and mark it as schema `version`."""
    con = sqlite3.connect(root / "synthloop.db")
    for sql in statements:
        con.execute(sql)
    con.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
    con.commit()
    con.close()
