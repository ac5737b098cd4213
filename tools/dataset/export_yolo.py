"""Export a detection dataset version in Ultralytics YOLO layout.

    <out>/data.yaml                 train/val/test (relative to the yaml), names
    <out>/images/<split>/<id>.png   copies of the workspace files (see files.place_file)
    <out>/labels/<split>/<id>.txt   `cls cx cy w h`, normalised; empty for background images

Ultralytics' trainer needs a val split. Dataset versions carve one from train when none is
marked (see versions.py); an older or tiny version without val gets `val: images/train`
and a warning — never the test split, which must stay unseen for the final report.

data.yaml has no `path:`: Ultralytics (8.4) then resolves the splits relative to the yaml's
folder, so the export keeps working when it is moved or copied elsewhere.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from ..errors import ValidationError
from ..models import DatasetVersion, Sample
from ..store import Workspace
from .files import LinkMode, export_folder, image_ext, place_file, safe_name
from .progress import progress_bar
from .versions import SPLITS, dataset_samples

log = logging.getLogger(__name__)


def yolo_lines(sample: Sample, index: dict[str, int]) -> list[str]:
    """One `cls cx cy w h` line per annotation, normalised to the image size."""
    w, h = float(sample.width), float(sample.height)
    out = []
    for a in sample.annotations:
        x0, y0, x1, y1 = (max(0.0, a.box[0]), max(0.0, a.box[1]), min(w, a.box[2]), min(h, a.box[3]))
        if x1 <= x0 or y1 <= y0:
            continue
        out.append(f"{index[a.cls]} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} "
                   f"{(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
    return out


def export_yolo(ws: Workspace, ds: DatasetVersion, out_dir: str | Path, *,
                overwrite: bool = False, link: LinkMode = "copy", progress: bool = True) -> Path:
    """Write `ds` as a YOLO detection dataset under `out_dir`; returns its data.yaml.

    data = export_yolo(ws, ws.get_dataset(), "exports/yolo")
    YOLO("yolov8n.yaml").train(data=str(data))
    """
    if ds.task != "detection":
        raise ValidationError(f"dataset {ds.id} is a {ds.task} dataset; YOLO labels need boxes",
                              "use the classify export for classification datasets")
    index = {n: i for i, n in enumerate(ds.class_names)}
    by_split = {sp: dataset_samples(ws, ds, sp) for sp in SPLITS}
    total = sum(len(v) for v in by_split.values())
    with export_folder(out_dir, ["images", "labels", "data.yaml"], fmt="yolo",
                       overwrite=overwrite) as (work, final), \
            progress_bar("exporting yolo", total, enabled=progress) as advance:
        for split, samples in by_split.items():
            for s in samples:
                unknown = {a.cls for a in s.annotations} - index.keys()
                if unknown:
                    raise ValidationError(f"sample {s.id} has classes {sorted(unknown)} that "
                                          f"dataset {ds.id} does not list",
                                          "rebuild the dataset version: synthloop dataset build")
                stem = safe_name(s.id)
                place_file(ws.path(s.image), work / "images" / split / f"{stem}.{image_ext(s.image)}",
                           link)
                lbl = work / "labels" / split / f"{stem}.txt"
                lbl.parent.mkdir(parents=True, exist_ok=True)
                lbl.write_text("".join(f"{ln}\n" for ln in yolo_lines(s, index)))
                advance()
        data = {"train": "images/train", "val": "images/val",
                "names": dict(enumerate(ds.class_names))}
        if not by_split["train"]:
            raise ValidationError(f"dataset {ds.id} has no training images",
                                  "generate data first: synthloop generate")
        if not by_split["val"]:
            log.warning("dataset %s has no val split: Ultralytics will validate on train "
                        "(the test split stays unseen)", ds.id)
            data["val"] = "images/train"
        if by_split["test"]:
            data["test"] = "images/test"
        (work / "data.yaml").write_text(
            f"# synthloop dataset {ds.id} (policy v{ds.policy_version}, holdout: {ds.holdout})\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return final / "data.yaml"
