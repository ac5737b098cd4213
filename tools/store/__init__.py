"""The workspace store: SQLite (WAL) + content-addressed files + a writer lock."""

from .files import atomic_write, atomic_write_text
from .schema import SCHEMA_VERSION
from .workspace import Workspace

__all__ = ["SCHEMA_VERSION", "Workspace", "atomic_write", "atomic_write_text"]
