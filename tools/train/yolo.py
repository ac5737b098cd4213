"""Ultralytics, kept offline and quiet.

- `import_yolo` points Ultralytics' settings and font folder at the workspace before its
  first import (see tools/offline.py; the font stops the GitHub fetch in dataset checks).
- `resolve_model_source` accepts a model yaml (trains from scratch, nothing to fetch) or a
  local .pt file; a URL, a hub name or a missing file is a clear error, never a download.
- `offline_amp_check` replaces the AMP self-test, which loads yolo26n.pt and would
  download it on a CUDA machine. On the CPU, AMP is off and the test never runs.
- `ultralytics_to_log` sends Ultralytics' log lines to the workspace log file and turns
  off its console progress bars, so our own progress display is the only one on screen.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NotFound, ValidationError
from ..offline import owns_config_dir, use_workspace_config_dir

log = logging.getLogger(__name__)

ULTRALYTICS_TASK = {"detection": "detect", "classification": "classify"}
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


# Ultralytics' integrations, each on by default when its package is importable. None has a
# use inside synthloop, and some reach the network (mlflow, comet, wandb, clearml); raytune,
# with ray installed (the ray extra), imports ray.tune for every training and asks it for a
# trial at every epoch. Switched off in the settings of the folders synthloop owns.
INTEGRATIONS = ("clearml", "comet", "dvc", "mlflow", "raytune", "tensorboard", "wandb")


def import_yolo(ws_root: Path) -> Any:
    """The `ultralytics.YOLO` class, imported with the workspace's settings folder (its
    integrations off, unless the user chose the folder with YOLO_CONFIG_DIR)."""
    use_workspace_config_dir(ws_root)
    from ultralytics import YOLO
    from ultralytics.utils import SETTINGS

    if owns_config_dir():
        on = {k: False for k in INTEGRATIONS if SETTINGS.get(k) is True}
        if on:
            SETTINGS.update(on)
    return YOLO


@dataclass(frozen=True)
class ModelSource:
    """What to build the model from: `ref` is given to Ultralytics, `name` goes into the
    run's config (and so into its id), `sha256` identifies a .pt file's content."""

    kind: str  # "yaml" | "pt"
    ref: str
    name: str
    sha256: str | None = None


def _find_local(ws_root: Path, model: str) -> Path | None:
    p = Path(model).expanduser()
    for cand in ([p] if p.is_absolute() else [Path.cwd() / p, ws_root / p]):
        if cand.is_file():
            return cand.resolve()
    return None


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def resolve_model_source(ws_root: Path, model: str, task: str) -> ModelSource:
    """Check `model` (a yaml name or path, or a local .pt) without loading it.

    For a classification dataset a detection yaml name such as 'yolov8n.yaml' becomes
    'yolov8n-cls.yaml', so the default config trains either task from scratch.
    """
    model = (model or "").strip()
    hint = ("give a model yaml such as yolov8n.yaml (trains from scratch) or the path of a "
            "local .pt file; synthloop never downloads weights")
    if not model or _URL.match(model):
        raise ValidationError(f"model {model!r} is not a model yaml or a local weights file", hint)
    suffix = Path(model).suffix.lower()
    if suffix in (".yaml", ".yml"):
        local = _find_local(ws_root, model)
        if local is not None:
            return ModelSource("yaml", str(local), model)
        name = model
        if task == "classification" and "-cls" not in Path(model).stem:
            name = f"{Path(model).stem}-cls{suffix}"
            log.info("classification dataset: using %s instead of %s", name, model)
        if "/" in name or "\\" in name:
            raise NotFound(f"model yaml {model!r} does not exist", hint)
        return ModelSource("yaml", name, name)
    if suffix == ".pt":
        local = _find_local(ws_root, model)
        if local is None:
            raise NotFound(f"weights file {model!r} not found (looked in {Path.cwd()} and "
                           f"{ws_root})", hint)
        return ModelSource("pt", str(local), model, _file_sha256(local))
    raise ValidationError(f"model {model!r} must end in .yaml or .pt", hint)


def load_model(ws_root: Path, source: ModelSource | str, task: str) -> Any:
    """Build the YOLO model, raising ValidationError when the yaml is unknown, the .pt
    is corrupt or not an Ultralytics checkpoint, or the model's task does not match."""
    YOLO = import_yolo(ws_root)
    ref = source.ref if isinstance(source, ModelSource) else str(source)
    try:
        model = YOLO(ref, task=ULTRALYTICS_TASK[task]) if ref.endswith((".yaml", ".yml")) else YOLO(ref)
    except FileNotFoundError as e:
        raise NotFound(f"model {ref!r} does not exist: {e}",
                       "use a model yaml shipped with Ultralytics (e.g. yolov8n.yaml) or a local "
                       "file") from e
    except Exception as e:  # torch.load / unpickling raise many types for a bad file
        raise ValidationError(f"cannot load model {ref!r}: {type(e).__name__}: {e}",
                              "the file may be corrupt or not an Ultralytics checkpoint") from e
    want = ULTRALYTICS_TASK[task]
    if getattr(model, "task", want) != want:
        raise ValidationError(f"model {ref!r} is a {model.task!r} model but the dataset is for "
                              f"{task}", f"use a {want} model (e.g. yolov8n"
                              f"{'-cls' if task == 'classification' else ''}.yaml)")
    return model


@contextmanager
def offline_amp_check() -> Iterator[None]:
    """Replace Ultralytics' AMP self-test (it loads, and would download, yolo26n.pt) by a
    local one: off on CPU/MPS, the library's own test when yolo26n.pt is already on disk,
    otherwise on (CUDA GPUs without known AMP problems)."""
    import ultralytics.engine.trainer as trainer_mod
    from ultralytics.utils import WEIGHTS_DIR

    original = trainer_mod.check_amp

    def check(model) -> bool:
        device = next(model.parameters()).device
        if device.type != "cuda":
            return False
        if (WEIGHTS_DIR / "yolo26n.pt").is_file():
            return original(model)
        import torch

        gpu = torch.cuda.get_device_name(device)
        bad = re.search(r"(1660|1650|1630|t400|t550|t600|t1000|t1200|t2000|k40m)", gpu, re.I)
        log.info("AMP %s on %s (offline check, no reference weights)", "off" if bad else "on", gpu)
        return not bad

    trainer_mod.check_amp = check
    try:
        yield
    finally:
        trainer_mod.check_amp = original


class _PlainFormatter(logging.Formatter):
    """Drops the terminal colour codes Ultralytics puts in its messages."""

    _ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

    def format(self, record: logging.LogRecord) -> str:
        return self._ANSI.sub("", super().format(record))


def _import_quietly() -> list[str]:
    """Import Ultralytics with its import-time messages (the settings file notice) caught
    instead of printed; returns them. Its console handler is then pointed back at stdout."""
    if "ultralytics.utils" in sys.modules:
        return []
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        import ultralytics.utils  # noqa: F401
    for h in logging.getLogger("ultralytics").handlers:
        if isinstance(h, logging.StreamHandler) and h.stream is buf:
            h.setStream(sys.stdout)
    return [ln for ln in buf.getvalue().splitlines() if ln.strip()]


@contextmanager
def ultralytics_to_log(log_path: Path | None, *, ws_root: Path) -> Iterator[None]:
    """Route Ultralytics' logger to `log_path` (INFO and up) and disable its console bars.
    Ultralytics is first imported here, after its settings folder is set to `ws_root`'s."""
    use_workspace_config_dir(ws_root)
    first_lines = _import_quietly()
    import ultralytics.utils as uu

    logger = logging.getLogger("ultralytics")
    saved_handlers, saved_verbose = list(logger.handlers), uu.VERBOSE
    for h in saved_handlers:
        logger.removeHandler(h)
    fh: logging.Handler | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_path)
        fh.setFormatter(_PlainFormatter("%(asctime)s ultralytics: %(message)s"))
        fh.setLevel(logging.INFO)
        logger.addHandler(fh)
        for line in first_lines:
            logger.info(line)
    else:
        logger.addHandler(logging.NullHandler())
    uu.VERBOSE = False  # read by its TQDM bars at creation: no bars on our console
    try:
        yield
    finally:
        for h in list(logger.handlers):
            logger.removeHandler(h)
            if h is fh:
                h.close()
        for h in saved_handlers:
            logger.addHandler(h)
        uu.VERBOSE = saved_verbose
