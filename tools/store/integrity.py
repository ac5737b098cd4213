"""Store integrity: every content-addressed file still holds the bytes its name hashes,
and every sample's image is there.

A file changes after it was stored when someone edits it through a hard link (an export
made with `--link hard`) or a symlink, or when a disk goes bad; a later export would then
ship the changed bytes under the old sample. `synthloop check` runs this.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .workspace import Workspace


@dataclass
class FileCheck:
    checked: int = 0
    """Files under files/ that were hashed."""
    corrupt: list[str] = field(default_factory=list)
    """Workspace-relative paths whose sha256 no longer matches their name."""
    missing: list[str] = field(default_factory=list)
    """Sample images that are not on disk."""
    samples: dict[str, list[str]] = field(default_factory=dict)
    """Path -> ids of the samples that use it (for the corrupt and missing paths)."""

    @property
    def ok(self) -> bool:
        return not self.corrupt and not self.missing


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_files(ws: Workspace) -> FileCheck:
    """Hash every stored file and compare it with its name; list missing sample images."""
    users: dict[str, list[str]] = defaultdict(list)
    for sample_id, image in ws.conn.execute("SELECT id, image FROM samples ORDER BY id"):
        users[image].append(sample_id)
    out = FileCheck()
    for path in sorted((ws.root / "files").rglob("*")):
        if not path.is_file() or path.name.startswith(".tmp-"):
            continue
        out.checked += 1
        stem = path.name.split(".", 1)[0]
        if not stem or _sha256(path)[: len(stem)] != stem:
            out.corrupt.append(str(path.relative_to(ws.root)))
    out.missing = [p for p in users if not (ws.root / p).is_file()]
    out.samples = {p: users.get(p, []) for p in [*out.corrupt, *out.missing]}
    return out
