"""Path safety for dataset folders: sanitised names, refused export folders, placed images.

Class names and labels come from policies the LLM drafted and from folders people import,
so they never become path components raw: `safe_name` maps them to a conservative alphabet.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..errors import ValidationError

log = logging.getLogger(__name__)

MARKER = ".synthloop-export"
LinkMode = Literal["copy", "hard", "symlink"]
LINK_RISK = {
    "hard": "hard links share the workspace's files: editing an exported image in place "
            "changes the stored sample (synthloop check finds it)",
    "symlink": "symlinks point into the workspace: the export breaks when the workspace moves, "
               "and editing through them changes the stored sample",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}


def safe_name(name: str, *, max_len: int = 64) -> str:
    """A file-system-safe form of `name`: ASCII letters, digits, '.', '_' and '-', no leading
    dot, no Windows device names, at most `max_len` characters. Different unsafe names that
    collapse to the same text keep apart through a short hash suffix.

    >>> safe_name("hard_hat"), safe_name("../etc/passwd")
    ('hard_hat', 'etc_passwd-7fef78')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = _UNSAFE.sub("_", text).strip("._-")
    text = re.sub(r"_+", "_", text)
    if text.lower() in _RESERVED:
        text = f"{text}_"
    if text == str(name) and text and len(text) <= max_len:
        return text
    digest = hashlib.sha256(str(name).encode()).hexdigest()[:6]
    return f"{(text or 'class')[: max_len - 7]}-{digest}"


def safe_names(names: list[str]) -> list[str]:
    """`safe_name` for a list, guaranteed unique (also case-insensitively, for macOS/Windows)."""
    out, seen = [], set()
    for n in names:
        s = safe_name(n)
        while s.lower() in seen:
            s = safe_name(s + "#")
        seen.add(s.lower())
        out.append(s)
    return out


@contextmanager
def export_folder(out_dir: str | os.PathLike, owned: list[str], *, fmt: str,
                  overwrite: bool = False) -> Iterator[tuple[Path, Path]]:
    """Yield (work, final): write the export under `work`; on success it becomes `final`,
    so a crashed export leaves nothing half-written behind.

    A new `final` is made by one move of `work` (written beside it). An existing folder,
    an empty one or an earlier export, is never removed or replaced itself: it may be a
    mount point (rmdir: EBUSY) or another disk than its parent (a move across: EXDEV), so
    `work` is made inside it and its entries are moved up when done.

    An existing non-empty `final` is refused unless `overwrite`; even then only the
    top-level entries `owned` of an earlier synthloop export (the folder holds our marker)
    are replaced, so a mistyped path never costs anyone their files.
    """
    final = Path(out_dir).expanduser().resolve()
    if final.exists() and not final.is_dir():
        raise ValidationError(f"export path {final} exists and is a file", "choose a folder path")
    merge = final.is_dir() and any(final.iterdir())
    previous: list[str] | None = []
    if merge:
        if not overwrite:
            raise ValidationError(f"export folder {final} exists and is not empty",
                                  "choose a new or empty folder, or pass --overwrite")
        present = [n for n in owned if (final / n).exists() or (final / n).is_symlink()]
        previous = _previous_owned(final)
        if present and previous is None:
            raise ValidationError(
                f"export folder {final} holds {', '.join(present)} that synthloop did not write",
                "choose a new or empty folder; --overwrite only replaces an earlier export")
    existing = final.is_dir()
    if not existing:
        final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-" if not existing else ".synthloop-tmp-",
                                 dir=final if existing else final.parent))
    try:
        yield work, final
        (work / MARKER).write_text(json.dumps(
            {"format": fmt, "owned": owned,
             "written_at": datetime.now(UTC).isoformat(timespec="seconds")}))
        if not existing:
            os.replace(work, final)
            return
        for name in {*owned, *(previous or []), *(c.name for c in work.iterdir())}:
            target = final / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
        for child in list(work.iterdir()):
            os.replace(child, final / child.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _previous_owned(folder: Path) -> list[str] | None:
    """The entries an earlier export wrote there (None: no synthloop export there)."""
    try:
        info = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return [n for n in info.get("owned", []) if isinstance(n, str) and n and "/" not in n
            and n not in (".", "..")]


def place_file(src: Path, dst: Path, mode: LinkMode = "copy") -> str:
    """Put `src` (a workspace file) at `dst`; returns what it did.

    copy (the default): a file of its own, so editing the export never changes the store,
    made with the usual umask (the store's files are 0600). A reflink (copy-on-write clone,
    btrfs/XFS/APFS-like) where the file system offers one: as cheap as a link, as safe as
    a copy. hard: shares the store's file (its bytes and its 0600 mode); where a hard link
    is impossible (another disk) it falls back to a copy, never to a symlink. symlink:
    an absolute link into the workspace."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if mode == "hard":
        try:
            os.link(src, dst)
            return "hard"
        except OSError as e:
            log.debug("no hard link %s -> %s (%s); copying", src, dst, e.strerror)
    elif mode == "symlink":
        os.symlink(src.resolve(), dst)
        return "symlink"
    if _reflink(src, dst):
        return "reflink"
    shutil.copyfile(src, dst)
    return "copy"


_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_no_reflink: set[tuple[int, int]] = set()  # (source device, target device) pairs that refused


def _reflink(src: Path, dst: Path) -> bool:
    """Clone `src` to a new file `dst` (Linux FICLONE); False where the file system can't."""
    if not sys.platform.startswith("linux"):
        return False
    devs = (os.stat(src).st_dev, os.stat(dst.parent).st_dev)
    if devs in _no_reflink:
        return False
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
            return True
        except OSError:
            _no_reflink.add(devs)
    return False  # the empty dst is overwritten by the copy


def image_ext(rel: str) -> str:
    ext = rel.rsplit(".", 1)[-1].lower() if "." in rel else "png"
    return ext if ext.isalnum() and len(ext) <= 5 else "png"
