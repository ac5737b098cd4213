"""Offline-safe environment defaults, set once, in one place, before heavy imports.

Every value is a default: what the user exported is left alone. Importing synthloop sets
nothing: the CLI's `main()` calls `apply_offline_defaults`, and so does each function that
loads a model or imports a library that would otherwise go online (Ultralytics through
`use_workspace_config_dir`, diffusers, albumentations). A notebook that only imports
synthloop keeps its own hub settings.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_DEFAULTS = {
    "YOLO_OFFLINE": "1",                  # no online probes in Ultralytics
    "NO_ALBUMENTATIONS_UPDATE": "1",      # albumentations' import-time PyPI check
    "HF_HUB_OFFLINE": "1",                # no hub look-ups unless the user asks (allow_download)
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "DISABLE_TELEMETRY": "1",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "WANDB_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",      # Ray: no usage-stats report (and no prompt)
    "MPLBACKEND": "Agg",
}
_we_set: set[str] = set()


def cache_dir() -> Path:
    """Where synthloop keeps caches shared by workspaces (the joined GGUF, for one)."""
    base = os.environ.get("SYNTHLOOP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "synthloop")
    return Path(base)


def apply_offline_defaults() -> None:
    for key, value in _DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = value
            _we_set.add(key)
    if "YOLO_CONFIG_DIR" not in os.environ:
        _set_yolo_dir(cache_dir() / "ultralytics")


def use_workspace_config_dir(workspace_root: Path) -> None:
    """Point Ultralytics at `<workspace>/.ultralytics` unless the user chose a folder.
    Must run before ultralytics is imported to take effect for its settings file; applies
    the offline defaults first (YOLO_OFFLINE among them)."""
    apply_offline_defaults()
    if "YOLO_CONFIG_DIR" in _we_set or "YOLO_CONFIG_DIR" not in os.environ:
        _set_yolo_dir(workspace_root / ".ultralytics")


def owns_config_dir() -> bool:
    """Whether synthloop chose Ultralytics' settings folder (not the user's YOLO_CONFIG_DIR)."""
    return "YOLO_CONFIG_DIR" in _we_set


def _set_yolo_dir(path: Path) -> None:
    os.environ["YOLO_CONFIG_DIR"] = str(path)
    _we_set.add("YOLO_CONFIG_DIR")
    install_font(path / "Ultralytics")


def install_font(folder: Path) -> None:
    """Ultralytics' dataset checks want Arial.ttf and fetch it from GitHub when missing:
    put matplotlib's DejaVuSans there under the names it asks for."""
    try:
        import matplotlib

        src = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("Arial.ttf", "Arial.Unicode.ttf"):
            if not (folder / name).exists():
                shutil.copyfile(src, folder / name)
    except (ImportError, OSError):
        pass  # training will report the font problem itself; never fail start-up over it
