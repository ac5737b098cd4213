"""Where a dataset version is exported for Ultralytics, shared by training and evaluation.

<workspace>/exports/<dataset id>/yolo/data.yaml (detection) or .../classify/ (a folder per
split and class). A dataset version is immutable, so an export that is already complete
is reused as it is. Its images are hard links to the store (no second copy on disk): only
Ultralytics reads them. Exports for people (`synthloop export`) copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..models import DatasetVersion

if TYPE_CHECKING:
    from ..store import Workspace


def export_dir(ws: Workspace, ds: DatasetVersion) -> Path:
    """The export folder of `ds` for its task."""
    return ws.root / "exports" / ds.id / ("yolo" if ds.task == "detection" else "classify")


def exported_dataset(ws: Workspace, ds: DatasetVersion, *, progress: bool = False) -> Path:
    """The `data` argument for Ultralytics: the data.yaml (detection) or the split root
    folder (classification), exporting the dataset first when needed (the export is
    written aside and moved into place whole, so an existing one is complete)."""
    from ..dataset import export_classify, export_yolo

    out = export_dir(ws, ds)
    if ds.task == "detection":
        yaml = out / "data.yaml"
        if yaml.is_file():
            return yaml
        return Path(export_yolo(ws, ds, out, link="hard", progress=progress))
    if (out / "train").is_dir():
        return out
    return Path(export_classify(ws, ds, out, link="hard", progress=progress))
