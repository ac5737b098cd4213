"""Export a classification dataset version in the folder-per-class layout that Ultralytics'
classifier (and torchvision's ImageFolder) reads.

    <out>/train/<class>/<id>.png, <out>/val/<class>/..., <out>/test/<class>/...
    <out>/classes.json        folder name -> original label, in Ultralytics' index order

Folder names are sanitised labels (labels can hold anything a policy or a folder said).
Every class gets a folder in every split, so class indices (the sorted folder names) agree
across splits. Without val samples, `val` holds links to the training images and a warning
says so (the test split stays unseen).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..errors import ValidationError
from ..models import DatasetVersion
from ..store import Workspace
from .files import LinkMode, export_folder, image_ext, place_file, safe_name, safe_names
from .progress import progress_bar
from .versions import SPLITS, dataset_samples

log = logging.getLogger(__name__)


def export_classify(ws: Workspace, ds: DatasetVersion, out_dir: str | Path, *,
                    overwrite: bool = False, link: LinkMode = "copy",
                    progress: bool = True) -> Path:
    """Write `ds` as train/val/test/<class>/ folders under `out_dir`; returns the folder
    (the `data` argument of an Ultralytics classifier).

    out = export_classify(ws, ws.get_dataset(), "exports/cls")
    YOLO("yolov8n-cls.yaml").train(data=str(out))
    """
    if ds.task != "classification":
        raise ValidationError(f"dataset {ds.id} is a {ds.task} dataset; the classify export needs "
                              "image labels", "use the yolo or coco export for detection")
    folders = dict(zip(ds.class_names, safe_names(ds.class_names), strict=True))
    by_split = {sp: dataset_samples(ws, ds, sp) for sp in SPLITS}
    if not by_split["train"]:
        raise ValidationError(f"dataset {ds.id} has no training images",
                              "generate data first: synthloop generate")
    if not by_split["val"]:
        log.warning("dataset %s has no val split: val/ holds the training images "
                    "(the test split stays unseen)", ds.id)
        by_split["val"] = by_split["train"]
    with export_folder(out_dir, [*SPLITS, "classes.json"], fmt="classify",
                       overwrite=overwrite) as (work, final), \
            progress_bar("exporting classify", sum(map(len, by_split.values())),
                         enabled=progress) as advance:
        for split, samples in by_split.items():
            if not samples:
                continue
            for folder in folders.values():
                (work / split / folder).mkdir(parents=True, exist_ok=True)
            for s in samples:
                if s.label not in folders:
                    raise ValidationError(f"sample {s.id} has label {s.label!r} that dataset "
                                          f"{ds.id} does not list",
                                          "rebuild the dataset version: synthloop dataset build")
                place_file(ws.path(s.image), work / split / folders[s.label]
                           / f"{safe_name(s.id)}.{image_ext(s.image)}", link)
                advance()
        order = sorted(folders.values())  # Ultralytics numbers classes by sorted folder name
        back = {v: k for k, v in folders.items()}
        (work / "classes.json").write_text(json.dumps(
            {"names": {i: back[f] for i, f in enumerate(order)}, "folders": folders}, indent=1))
    return final
