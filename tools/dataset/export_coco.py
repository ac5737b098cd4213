"""Export a detection dataset version as COCO: one instances JSON per split.

    <out>/annotations/instances_<split>.json   images, annotations (bbox = x, y, w, h), categories
    <out>/images/<split>/<id>.png              copies of the workspace files

Category ids start at 1 in the dataset's class order; each image entry carries the sample's
id, source, scenario and variables under "synthloop" so slices survive the export.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ValidationError
from ..models import DatasetVersion, Sample
from ..store import Workspace
from .files import LinkMode, export_folder, image_ext, place_file, safe_name
from .progress import progress_bar
from .versions import SPLITS, dataset_samples


def coco_document(samples: list[Sample], class_names: list[str], split: str,
                  file_names: list[str], dataset_id: str) -> dict:
    """The COCO instances dict for one split (file names relative to images/<split>/)."""
    cat = {n: i + 1 for i, n in enumerate(class_names)}
    images, anns = [], []
    for img_id, (s, fname) in enumerate(zip(samples, file_names, strict=True), 1):
        images.append({"id": img_id, "file_name": fname, "width": s.width, "height": s.height,
                       "synthloop": {"sample_id": s.id, "source": s.source,
                                     "scenario": s.scenario_id, "variables": s.variables}})
        for a in s.annotations:
            x0, y0 = max(0.0, a.box[0]), max(0.0, a.box[1])
            x1, y1 = min(float(s.width), a.box[2]), min(float(s.height), a.box[3])
            if x1 <= x0 or y1 <= y0:
                continue
            w, h = x1 - x0, y1 - y0
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": cat[a.cls],
                         "bbox": [round(x0, 3), round(y0, 3), round(w, 3), round(h, 3)],
                         "area": round(w * h, 3), "iscrowd": 0,
                         "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]]})
    return {"info": {"description": f"synthloop dataset {dataset_id} ({split})",
                     "version": dataset_id},
            "licenses": [], "images": images, "annotations": anns,
            "categories": [{"id": i, "name": n, "supercategory": "object"} for n, i in cat.items()]}


def export_coco(ws: Workspace, ds: DatasetVersion, out_dir: str | Path, *,
                overwrite: bool = False, link: LinkMode = "copy", progress: bool = True) -> Path:
    """Write `ds` as COCO (one JSON per non-empty split) under `out_dir`; returns the folder.

    out = export_coco(ws, ws.get_dataset(), "exports/coco")
    COCO(str(out / "annotations" / "instances_train.json"))
    """
    if ds.task != "detection":
        raise ValidationError(f"dataset {ds.id} is a {ds.task} dataset; COCO instances need boxes",
                              "use the hf or classify export for classification datasets")
    by_split = {sp: dataset_samples(ws, ds, sp) for sp in SPLITS}
    known = set(ds.class_names)
    with export_folder(out_dir, ["images", "annotations"], fmt="coco",
                       overwrite=overwrite) as (work, final), \
            progress_bar("exporting coco", sum(map(len, by_split.values())),
                         enabled=progress) as advance:
        (work / "annotations").mkdir()
        for split, samples in by_split.items():
            if not samples:
                continue
            names = []
            for s in samples:
                if {a.cls for a in s.annotations} - known:
                    raise ValidationError(f"sample {s.id} has classes dataset {ds.id} does not list",
                                          "rebuild the dataset version: synthloop dataset build")
                fname = f"{safe_name(s.id)}.{image_ext(s.image)}"
                place_file(ws.path(s.image), work / "images" / split / fname, link)
                names.append(fname)
                advance()
            doc = coco_document(samples, ds.class_names, split, names, ds.id)
            (work / "annotations" / f"instances_{split}.json").write_text(json.dumps(doc))
    return final
