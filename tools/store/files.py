"""Atomic and content-addressed file writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, text.encode())


def content_path(data: bytes, ext: str) -> str:
    """The workspace-relative path of a content-addressed file: files/ab/abcdef....ext."""
    ext = ext.lstrip(".").lower()
    if not ext.isalnum() or len(ext) > 8:
        raise ValueError(f"bad file extension {ext!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"files/{digest[:2]}/{digest[:40]}.{ext}"
