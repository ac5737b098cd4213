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


def write_new(path: Path, data: bytes) -> None:
    """Atomically create `path` (its folder must exist) with `data`: for content-addressed
    files, whose name is their digest. One file creation and one rename: the temporary name
    is the target's plus this process's id (two processes storing the same content write
    two temporary files and the second rename replaces the first with the same bytes), so
    no random name is drawn and no other folder is touched."""
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
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
