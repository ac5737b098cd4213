"""Export a dataset version as a Hugging Face `imagefolder` dataset.

    <out>/train/, validation/, test/   the images and a metadata.csv each
    <out>/README.md                    a short dataset card

metadata.csv: `file_name` names the image; the other columns carry sample_id, source,
scenario, prompt, negative_prompt, seed, generator, model, label (classification), objects
(detection: JSON with pixel `bbox` [x, y, w, h] and `category` lists) and one column per
prompt variable. Loads offline with `datasets.load_dataset("imagefolder", data_dir=out)`.

`datasets` infers each split's column types separately (through pandas) and refuses splits
that disagree, and pandas reads an empty cell as a float NaN. So every split has the same
columns, a missing text value is written as "-" and a missing seed (real images) as -1.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

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
        row["label"] = s.label or ""
    else:
        row["objects"] = json.dumps({
            "bbox": [[round(a.box[0], 2), round(a.box[1], 2), round(a.box[2] - a.box[0], 2),
                      round(a.box[3] - a.box[1], 2)] for a in s.annotations],
            "category": [a.cls for a in s.annotations]})
    for k, v in (s.variables or (spec.variables if spec else {})).items():
        row[k if k not in row else f"var_{k}"] = v
    return row


def export_hf(ws: Workspace, ds: DatasetVersion, out_dir: str | Path, *,
              overwrite: bool = False, link: LinkMode = "hard", progress: bool = True) -> Path:
    """Write `ds` as an imagefolder dataset under `out_dir`; returns the folder.

    >>> out = export_hf(ws, ws.get_dataset(), "exports/hf")
    >>> datasets.load_dataset("imagefolder", data_dir=str(out))
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
        columns = list(FIXED) + (["label"] if ds.task == "classification" else ["objects"])
        for split_rows in rows.values():
            for r in split_rows:
                columns += [k for k in r if k not in columns]
        for split, split_rows in rows.items():
            with open(work / HF_SPLIT[split] / "metadata.csv", "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=columns)
                w.writeheader()
                w.writerows({c: _cell(c, r.get(c)) for c in columns} for r in split_rows)
        _warn_type_clash(work, [HF_SPLIT[k] for k in rows])
        (work / "README.md").write_text(_card(ds, {k: len(v) for k, v in rows.items()}))
    return final


def _cell(column: str, value):
    if value is None or value == "":
        return -1 if column == "seed" else MISSING
    return value


def _warn_type_clash(root: Path, folders: list[str]) -> None:
    """Say which column `datasets` would refuse (its type differs between splits), e.g. a
    variable whose values are all numbers in one split only."""
    import pandas as pd

    dtypes = {f: pd.read_csv(root / f / "metadata.csv", nrows=10_000).dtypes for f in folders}
    first = folders[0]
    for f in folders[1:]:
        bad = [c for c in dtypes[first].index if dtypes[f][c] != dtypes[first][c]]
        if bad:
            log.warning("hf export: column(s) %s have different types in %s and %s; pass "
                        "features= to load_dataset or cast them", ", ".join(bad), first, f)


def _card(ds: DatasetVersion, counts: dict[str, int]) -> str:
    splits = ", ".join(f"{HF_SPLIT[k]}: {v}" for k, v in counts.items())
    return (f"---\nlicense: other\ntask_categories:\n- "
            f"{'object-detection' if ds.task == 'detection' else 'image-classification'}\n---\n"
            f"# synthloop dataset {ds.id}\n\nPolicy version {ds.policy_version}, task {ds.task}, "
            f"classes: {', '.join(ds.class_names)}.\nSplits: {splits}. Test holdout: {ds.holdout}.\n"
            "Synthetic images were generated by synthloop; `metadata.csv` in each split gives "
            "each image's prompt, scenario, variables, seed and generator.\n")
