"""Import a folder of real images as Samples (source="real"), to `test` unless told otherwise:
real images are the eval set, and the eval set is sacred.

labels="yolo"    a `.txt` per image beside it or in the sibling `labels/` folder of an
                 `images/` folder; class names from data.yaml / classes.txt in the folder,
                 else `class_names`, else the policy's class order
labels="folders" classification: the first folder under the root names the label
labels="none"    images only

Corrupt and truncated images are skipped with one warning that lists them (PIL verify, then
a full decode). Files are stored content-addressed, so importing twice adds nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from PIL import Image

from ..errors import NotFound, ValidationError
from ..models import Annotation, Provenance, Sample
from ..store import Workspace
from ..strict_yaml import safe_load
from .progress import progress_bar

log = logging.getLogger(__name__)

IMAGE_EXTS = {"jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff"}
LabelMode = Literal["yolo", "none", "folders"]


@dataclass
class ImportResult:
    """What an import did. `imported` holds the ids of new samples."""

    imported: list[str] = field(default_factory=list)
    already_there: int = 0
    corrupt: list[str] = field(default_factory=list)
    bad_labels: list[str] = field(default_factory=list)
    unlabelled: list[str] = field(default_factory=list)
    classes: dict[str, int] = field(default_factory=dict)
    split: str = "test"

    @property
    def skipped(self) -> list[str]:
        return self.corrupt + self.bad_labels + self.unlabelled


def _read_names(folder: Path) -> list[str] | None:
    for name in ("data.yaml", "dataset.yaml"):
        p = folder / name
        if p.is_file():
            try:
                names = (safe_load(p.read_text()) or {}).get("names")
            except yaml.YAMLError as e:
                raise ValidationError(f"{p} is not valid YAML: {e}", "fix or remove it") from e
            if isinstance(names, dict):
                return [str(names[k]) for k in sorted(names)]
            if isinstance(names, list):
                return [str(n) for n in names]
    p = folder / "classes.txt"
    if p.is_file():
        return [ln.strip() for ln in p.read_text().splitlines() if ln.strip()]
    return None


def _label_file(img: Path) -> Path | None:
    beside = img.with_suffix(".txt")
    if beside.is_file():
        return beside
    parts = list(img.parts)
    if "images" in parts:
        i = len(parts) - 1 - parts[::-1].index("images")
        parts[i] = "labels"
        other = Path(*parts).with_suffix(".txt")
        if other.is_file():
            return other
    return None


def _decode(data: bytes) -> tuple[int, int, str]:
    """(width, height) as viewers show it (EXIF orientation applied) and the format;
    raises on a corrupt or truncated file."""
    with Image.open(io.BytesIO(data)) as im:
        im.verify()
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        w, h = im.size
        if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated 90°: sides swap
            w, h = h, w
        return w, h, (im.format or "png").lower()


def parse_yolo_labels(text: str, names: list[str], width: int, height: int) -> list[Annotation]:
    """YOLO lines `cls cx cy w h` (normalised) -> pixel annotations, clipped; raises
    ValueError on a malformed line or an unknown class index."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 5:
            raise ValueError(f"line {n}: expected 5 numbers, got {len(parts)}")
        idx, (cx, cy, bw, bh) = int(parts[0]), map(float, parts[1:])
        if not 0 <= idx < len(names):
            raise ValueError(f"line {n}: class index {idx} outside 0..{len(names) - 1}")
        box = (max(0.0, (cx - bw / 2) * width), max(0.0, (cy - bh / 2) * height),
               min(float(width), (cx + bw / 2) * width), min(float(height), (cy + bh / 2) * height))
        if box[0] < box[2] and box[1] < box[3]:
            out.append(Annotation(cls=names[idx], box=box))
    return out


def import_real_images(ws: Workspace, folder: str | Path, *, split: str = "test",
                       labels: LabelMode = "yolo", class_names: list[str] | None = None,
                       progress: bool = True) -> ImportResult:
    """Store every readable image under `folder` as a real Sample in `split`.

    res = import_real_images(ws, "site-photos/", labels="yolo")
    len(res.imported), res.corrupt
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise NotFound(f"image folder {root} does not exist or is not a folder",
                       "give the folder that holds your real images")
    if labels not in ("yolo", "none", "folders"):
        raise ValidationError(f"labels={labels!r} is not one of yolo, none, folders",
                              "use --labels yolo|none|folders")
    if split not in ("train", "val", "test"):
        raise ValidationError(f"split={split!r} is not one of train, val, test",
                              "real images normally go to test")
    names = _class_names(ws, root, class_names) if labels == "yolo" else []
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and p.suffix.lower().lstrip(".") in IMAGE_EXTS
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
    res, counts, seen = ImportResult(split=split), Counter(), set()
    with progress_bar("importing", len(files), enabled=progress) as advance:
        for i in range(0, len(files), CHUNK):  # one transaction per chunk bounds memory
            batch = []
            for p in files[i:i + CHUNK]:
                item = _read_one(root, p, labels, names, split, res)
                advance()
                if item is not None and item[0].id not in seen:
                    seen.add(item[0].id)
                    batch.append(item)
            stored = ws.stored_sample_ids(s.id for s, _ in batch)
            new = [(s, data) for s, data in batch if s.id not in stored]
            with ws.transaction():
                for s, data in new:
                    ws.put_bytes(data, s.image.rsplit(".", 1)[-1])
                ws.save_samples(s for s, _ in new)
            res.already_there += len(batch) - len(new)
            res.imported += [s.id for s, _ in new]
            counts.update(c for s, _ in batch for c in ([s.label] if s.label else
                                                        [a.cls for a in s.annotations]))
    res.classes = dict(counts)
    _warn(res, root)
    return res


CHUNK = 200


def _class_names(ws: Workspace, root: Path, given: list[str] | None) -> list[str]:
    names = given or _read_names(root)
    if not names:
        try:
            names = ws.get_policy().class_names()
        except NotFound:
            names = None
    if not names:
        raise ValidationError(
            f"no class names for the YOLO labels in {root}",
            "put a data.yaml (names: [...]) or classes.txt in the folder, or design a policy")
    return names


def _read_one(root: Path, p: Path, labels: LabelMode, names: list[str], split: str,
              res: ImportResult) -> tuple[Sample, bytes] | None:
    from ..store.files import content_path

    rel_name = p.relative_to(root).as_posix()
    try:
        data = p.read_bytes()
        w, h, fmt = _decode(data)
    except Exception as e:  # PIL raises many types for broken files
        log.debug("corrupt image %s: %s", p, e)
        res.corrupt.append(rel_name)
        return None
    anns, label = [], None
    if labels == "yolo":
        lf = _label_file(p)
        try:
            anns = parse_yolo_labels(lf.read_text(), names, w, h) if lf else []
        except (ValueError, UnicodeDecodeError) as e:
            log.debug("bad label file %s: %s", lf, e)
            res.bad_labels.append(f"{rel_name} ({e})")
            return None
    elif labels == "folders":
        parts = p.relative_to(root).parts
        if len(parts) < 2:
            res.unlabelled.append(rel_name)
            return None
        label = parts[0].strip()
    ext = {"jpeg": "jpg", "tiff": "tif"}.get(fmt, fmt) if fmt.isalnum() else "png"
    sid = "real-" + hashlib.sha256(data).hexdigest()[:16]
    sample = Sample(id=sid, image=content_path(data, ext), width=w, height=h, annotations=anns,
                    label=label, split=split, source="real",
                    provenance=Provenance(generator="real", note=f"imported from {rel_name}"))
    return sample, data


def _warn(res: ImportResult, root: Path) -> None:
    for what, items in (("corrupt or truncated image(s)", res.corrupt),
                        ("image(s) with unreadable YOLO labels", res.bad_labels),
                        ("image(s) outside a class folder", res.unlabelled)):
        if items:
            shown = ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
            log.warning("skipped %d %s in %s: %s", len(items), what, root, shown)
