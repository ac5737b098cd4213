"""Export a dataset version as a Hugging Face `imagefolder` dataset.

    <out>/train/, validation/, test/   the images and a metadata.jsonl each
    <out>/README.md                    the dataset card: splits and typed features

Each metadata row: `file_name` names the image; then sample_id, source, scenario, prompt,
negative_prompt, seed, generator, model, one column per prompt variable (text), and the
labels the way Hugging Face recipes expect them: detection `objects` is a struct of lists,
`bbox` ([x, y, w, h] in pixels, COCO style), `area` and `category` (a ClassLabel);
classification `label` is a ClassLabel. The card declares these features, so

    datasets.load_dataset(str(out))

loads them typed, offline, and so does the Hub after `push_to_hub`. (The bare builder,
`load_dataset("imagefolder", data_dir=out)`, ignores the card and reads names as text;
pass it `features=export_features(out)` there.) Every split has the same columns; a
missing text value is "-" and a missing seed (real images) -1.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import yaml

from ..errors import NotFound
from ..models import DatasetVersion, GenerationSpec, Sample
from ..store import Workspace
from .files import LinkMode, export_folder, image_ext, place_file, safe_name
from .progress import progress_bar
from .versions import SPLITS, dataset_samples

log = logging.getLogger(__name__)

MISSING = "-"
HF_SPLIT = {"train": "train", "val": "validation", "test": "test"}
FIXED = ["file_name", "sample_id", "source", "scenario", "prompt", "negative_prompt", "seed",
         "generator", "model"]
METADATA = "metadata.jsonl"


def _spec_of(ws: Workspace, s: Sample, cache: dict[str, GenerationSpec | None]) -> GenerationSpec | None:
    """The spec a sample was made from; augmented copies answer with their parent's."""
    key = s.spec_id or s.provenance.parent_sample
    if key is None:
        return None
    if key not in cache:
        try:
            if s.spec_id:
                cache[key] = ws.get_spec(s.spec_id)
            else:
                parent = ws.get_sample(key)
                cache[key] = ws.get_spec(parent.spec_id) if parent.spec_id else None
        except NotFound:
            cache[key] = None
    return cache[key]


def metadata_row(s: Sample, spec: GenerationSpec | None, file_name: str, task: str) -> dict:
    row = {"file_name": file_name, "sample_id": s.id, "source": s.source,
           "scenario": s.scenario_id or (spec.scenario_id if spec else ""),
           "prompt": spec.prompt if spec else "",
           "negative_prompt": spec.negative_prompt if spec else "",
           "seed": s.provenance.seed if s.provenance.seed is not None else "",
           "generator": s.provenance.generator, "model": s.provenance.model}
    if task == "classification":
        row["label"] = s.label
    else:
        boxes = [[round(a.box[0], 2), round(a.box[1], 2), round(a.box[2] - a.box[0], 2),
                  round(a.box[3] - a.box[1], 2)] for a in s.annotations]
        row["objects"] = {"bbox": boxes, "area": [round(b[2] * b[3], 2) for b in boxes],
                          "category": [a.cls for a in s.annotations]}
    for k, v in (s.variables or (spec.variables if spec else {})).items():
        row[k if k not in row and k != "image" else f"var_{k}"] = str(v)
    return row


def export_hf(ws: Workspace, ds: DatasetVersion, out_dir: str | Path, *,
              overwrite: bool = False, link: LinkMode = "copy", progress: bool = True) -> Path:
    """Write `ds` as an imagefolder dataset under `out_dir`; returns the folder.

    out = export_hf(ws, ws.get_dataset(), "exports/hf")
    datasets.load_dataset(str(out))   # features typed by the card
    """
    by_split = {sp: dataset_samples(ws, ds, sp) for sp in SPLITS}
    cache: dict[str, GenerationSpec | None] = {}
    rows: dict[str, list[dict]] = {}
    with export_folder(out_dir, [*HF_SPLIT.values(), "README.md"], fmt="hf",
                       overwrite=overwrite) as (work, final), \
            progress_bar("exporting hf", sum(map(len, by_split.values())),
                         enabled=progress) as advance:
        for split, samples in by_split.items():
            if not samples:
                continue
            folder = work / HF_SPLIT[split]
            rows[split] = []
            for s in samples:
                fname = f"{safe_name(s.id)}.{image_ext(s.image)}"
                place_file(ws.path(s.image), folder / fname, link)
                rows[split].append(metadata_row(s, _spec_of(ws, s, cache), fname, ds.task))
                advance()
        label_col = "label" if ds.task == "classification" else "objects"
        columns = [*FIXED, label_col]
        for split_rows in rows.values():
            for r in split_rows:
                columns += [k for k in r if k not in columns]
        for split, split_rows in rows.items():
            with open(work / HF_SPLIT[split] / METADATA, "w", encoding="utf-8") as f:
                for r in split_rows:
                    f.write(json.dumps({c: _cell(c, r.get(c)) for c in columns},
                                       ensure_ascii=False) + "\n")
        variables = [c for c in columns if c not in (*FIXED, label_col)]
        (work / "README.md").write_text(_card(ds, {k: len(v) for k, v in rows.items()},
                                              features_yaml(ds, variables)), encoding="utf-8")
    return final


def _cell(column: str, value):
    if value is None or value == "":
        return -1 if column in ("seed", "label") else MISSING  # -1: ClassLabel's "no label"
    return value


def hf_features(ds: DatasetVersion, variables: list[str]) -> Any:
    """The `datasets.Features` of the export of `ds` (whose variable columns are
    `variables`): what the card declares."""
    import datasets

    feats: dict[str, Any] = {"image": datasets.Image()}
    for c in FIXED[1:]:
        feats[c] = datasets.Value("int64" if c == "seed" else "string")
    names = datasets.ClassLabel(names=list(ds.class_names))
    if ds.task == "classification":
        feats["label"] = names
    else:
        feats["objects"] = {
            "bbox": datasets.Sequence(datasets.Sequence(datasets.Value("float32"), length=4)),
            "area": datasets.Sequence(datasets.Value("float32")),
            "category": datasets.Sequence(names)}
    for v in variables:
        feats[v] = datasets.Value("string")
    return datasets.Features(feats)


def features_yaml(ds: DatasetVersion, variables: list[str]) -> list[dict]:
    """The features in the dataset card's YAML form."""
    return hf_features(ds, variables)._to_yaml_list()


def export_features(out_dir: str | Path) -> Any:
    """The `datasets.Features` an hf export's card declares (for the bare imagefolder
    builder, which does not read the card)."""
    import datasets

    text = (Path(out_dir) / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    return datasets.Features._from_yaml_list(meta["dataset_info"]["features"])


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


def _card(ds: DatasetVersion, counts: dict[str, int], features: list[dict]) -> str:
    splits = ", ".join(f"{HF_SPLIT[k]}: {v}" for k, v in counts.items())
    meta = {
        "license": "other",
        "task_categories": ["object-detection" if ds.task == "detection"
                            else "image-classification"],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": HF_SPLIT[k], "path": f"{HF_SPLIT[k]}/**"}
                                    for k in counts],
                     "features": features}],
        "dataset_info": {"features": features},
    }
    head = yaml.dump(meta, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
    return (f"---\n{head}---\n"
            f"# synthloop dataset {ds.id}\n\nPolicy version {ds.policy_version}, task {ds.task}, "
            f"classes: {', '.join(ds.class_names)}.\nSplits: {splits}. Test holdout: {ds.holdout}.\n"
            "Synthetic images were generated by synthloop; `metadata.jsonl` in each split gives "
            "each image's prompt, scenario, variables, seed and generator.\n\n"
            "    datasets.load_dataset(\"path/to/this/folder\")\n")
