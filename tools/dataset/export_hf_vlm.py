"""Export a vision-language dataset: images with grounded captions and checked dialogs.

    <out>/train/, validation/, test/   the images and a metadata.csv each (non-empty splits)
    <out>/README.md                    the dataset card
    <out>/vlm_manifest.json            split rules and every sample's split with its reason,
                                       temperatures, text sources and checker rejections

Each metadata.csv row: `file_name`, sample_id, source, scenario, image_label, objects (JSON:
class and pixel xyxy box per object), variables (JSON), caption_short, caption_long,
`messages` (the dialog in the OpenAI chat format as a JSON string: the image is the first
user content part `{"type": "image"}`, then the question text; the assistant's answer),
temperature (of the split's phrasing, "-" when no LLM phrased) and text_source.

    datasets.load_dataset("imagefolder", data_dir=str(out))   # train / validation / test

Texts come from `synthloop.tools.text.build_texts` (checked against the labels); the split
assignment from `assign_splits`. Pushing to the hub is a separate call (`push_hf_vlm`).
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml

from ..errors import ValidationError
from ..models import Policy, Sample
from ..store import Workspace
from ..text.build import TextBuild
from ..text.models import SampleTexts
from ..text.splits import VLM_SPLITS, SplitAssignment, assign_splits
from .files import LinkMode, export_folder, image_ext, place_file, safe_name
from .hub import push_to_hub
from .progress import progress_bar

log = logging.getLogger(__name__)

MANIFEST = "vlm_manifest.json"
METADATA = "metadata.csv"
FORMAT = "hf-vlm"
COLUMNS = ["file_name", "sample_id", "source", "scenario", "image_label", "objects", "variables",
           "caption_short", "caption_long", "messages", "temperature", "text_source"]


def metadata_row(s: Sample, t: SampleTexts, file_name: str) -> dict[str, str]:
    sources = Counter(x.source for x in t.texts())
    return {
        "file_name": file_name, "sample_id": s.id, "source": s.source,
        "scenario": s.scenario_id or "-", "image_label": s.label or "-",
        "objects": json.dumps([{"cls": a.cls, "box": list(a.box)} for a in s.annotations]),
        "variables": json.dumps(s.variables, sort_keys=True),
        "caption_short": t.caption_short.text, "caption_long": t.caption_long.text,
        "messages": json.dumps(t.messages(), ensure_ascii=False),
        "temperature": "-" if t.temperature is None else str(t.temperature),
        "text_source": ",".join(f"{k}:{v}" for k, v in sorted(sources.items())),
    }


def export_hf_vlm(ws: Workspace, policy: Policy, samples: list[Sample], out_dir: str | Path, *,
                  texts: TextBuild | dict[str, SampleTexts],
                  splits: SplitAssignment | None = None, overwrite: bool = False,
                  link: LinkMode = "copy", progress: bool = True) -> Path:
    """Write `samples` with their checked `texts` as an imagefolder dataset; returns the folder.

    `splits` defaults to `assign_splits(samples)` (real -> test, the rest -> train). Every
    sample the assignment keeps needs its texts, made for the same split."""
    built = texts if isinstance(texts, TextBuild) else TextBuild(texts=texts)
    assignment = splits or assign_splits(samples)
    by_split: dict[str, list[Sample]] = {sp: [] for sp in VLM_SPLITS}
    for s in samples:
        sp = assignment.split_of(s.id)
        if sp is None:
            continue
        t = built.texts.get(s.id)
        if t is None:
            raise ValidationError(f"sample {s.id} has no texts", "make them with build_texts")
        if t.split != sp:
            raise ValidationError(f"sample {s.id}'s texts were made for {t.split}, it is in {sp}",
                                  "build the texts with the same split assignment")
        by_split[sp].append(s)
    present = [sp for sp in VLM_SPLITS if by_split[sp]]
    if not present:
        raise ValidationError("nothing to export: no sample is assigned to a split",
                              "check the samples and the split rules")
    owned = [*VLM_SPLITS, "README.md", MANIFEST]
    with export_folder(out_dir, owned, fmt=FORMAT, overwrite=overwrite) as (work, final), \
            progress_bar("exporting hf-vlm", sum(map(len, by_split.values())),
                         enabled=progress) as advance:
        for sp in present:
            folder = work / sp
            folder.mkdir(parents=True)
            with open(folder / METADATA, "w", encoding="utf-8", newline="") as f:
                w = csv.DictWriter(f, fieldnames=COLUMNS)
                w.writeheader()
                for s in by_split[sp]:
                    fname = f"{safe_name(s.id)}.{image_ext(s.image)}"
                    place_file(ws.path(s.image), folder / fname, link)
                    w.writerow(metadata_row(s, built.texts[s.id], fname))
                    advance()
        counts = {sp: len(by_split[sp]) for sp in present}
        (work / MANIFEST).write_text(json.dumps(
            manifest(policy, assignment, built, counts), indent=1, ensure_ascii=False),
            encoding="utf-8")
        (work / "README.md").write_text(_card(policy, assignment, built, counts), encoding="utf-8")
    log.info("exported %s vlm samples to %s", sum(counts.values()), final)
    return final


def manifest(policy: Policy, assignment: SplitAssignment, built: TextBuild,
             counts: dict[str, int]) -> dict:
    return {
        "format": FORMAT, "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "policy": {"title": policy.title, "version": policy.version, "task": policy.task},
        "splits": counts, "split_rules": assignment.rules.model_dump(mode="json"),
        "temperatures": assignment.temperatures,
        "assignment": [a.model_dump(mode="json") for a in assignment.assigned],
        "text_stats": built.stats.model_dump(mode="json"),
        "texts": {sid: {"split": t.split, "temperature": t.temperature,
                        "sources": dict(Counter(x.source for x in t.texts())),
                        "rejections": [{"kind": x.kind, "attempt": r.attempt, "text": r.text,
                                        "reasons": sorted({i.reason for i in r.issues})}
                                       for x in t.texts() for r in x.rejections]}
                  for sid, t in built.texts.items()},
    }


def _card(policy: Policy, assignment: SplitAssignment, built: TextBuild,
          counts: dict[str, int]) -> str:
    meta = {"license": "other", "task_categories": ["image-text-to-text"],
            "configs": [{"config_name": "default",
                         "data_files": [{"split": sp, "path": f"{sp}/**"} for sp in counts]}]}
    st = built.stats
    temps = ", ".join(f"{k} {v}" for k, v in assignment.temperatures.items())
    return (f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n"
            f"# synthloop vision-language dataset: {policy.title}\n\n"
            f"Task {policy.task}; splits: {', '.join(f'{k} {v}' for k, v in counts.items())}.\n"
            "Captions and dialog answers are computed from each image's labels and checked "
            "against them; an LLM phrasing is kept only where the checker agreed "
            f"({st.llm_accepted} of {st.texts} texts; {st.rejected} phrasings refused). "
            f"Phrasing temperature per split: {temps}. Real images go to test, augmented and "
            "synthetic ones to train unless the split rules say otherwise "
            f"(`{MANIFEST}` holds every sample's split and why).\n\n"
            "    datasets.load_dataset(\"imagefolder\", data_dir=\"path/to/this/folder\")\n")


def push_hf_vlm(folder: str | Path, repo_id: str, *, token: str | None = None,
                private: bool = True) -> str:
    """Upload an hf-vlm export to the hub dataset repo `repo_id`; returns its URL. Only called
    when asked; the token (argument, else HF_TOKEN) is registered as a secret and never
    written or logged."""
    folder = Path(folder).expanduser()
    try:
        fmt = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError):
        fmt = None
    if fmt != FORMAT:
        raise ValidationError(f"{folder} is not an hf-vlm export (no {MANIFEST})",
                              "export first: synthloop export --format hf-vlm DIR")
    return push_to_hub(folder, repo_id, token=token, private=private)
