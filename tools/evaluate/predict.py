"""Running a trained model: per-image predictions, and mAP from Ultralytics' validator.

Two passes on purpose. `predict_samples` runs at the report's confidence threshold and
feeds the IoU matching (confusions, misses, per-slice recall). `validate_map` runs
Ultralytics' own validator at its default low confidence (0.001), which is what mAP is
defined on; its confusion matrix is not used (it is only filled with plots=True, and at
conf 0.001 its background column is flooded).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..models import Sample
from .matching import Prediction


def _names(model: Any) -> dict[int, str]:
    names = model.names
    return dict(enumerate(names)) if isinstance(names, list | tuple) else dict(names)


def _to_predictions(result: Any, names: dict[int, str]) -> list[Prediction]:
    if getattr(result, "probs", None) is not None:
        probs = result.probs.data.float().cpu().tolist()
        return [Prediction(names[i], float(p)) for i, p in enumerate(probs)]
    boxes = result.boxes
    if boxes is None or len(boxes) == 0:
        return []
    xyxy = boxes.xyxy.float().cpu().tolist()
    conf = boxes.conf.float().cpu().tolist()
    cls = boxes.cls.int().cpu().tolist()
    return [Prediction(names[c], float(p), tuple(b)) for b, p, c in zip(xyxy, conf, cls, strict=True)]


def predict_samples(model: Any, root: Path, samples: Sequence[Sample], *, conf: float, imgsz: int,
                    device: str, batch: int = 16, progress: bool = True,
                    rename: dict[str, str] | None = None) -> tuple[dict[str, list[Prediction]], float]:
    """Predictions for every sample (its image read from `root`), keyed by sample id, and
    the images per second of the pass. Classification gives every class with its
    probability; detection gives boxes in the image's pixel coordinates. `rename` maps
    the model's class names back to the dataset's (export folders use safe names)."""
    names = {i: (rename or {}).get(n, n) for i, n in _names(model).items()}
    out: dict[str, list[Prediction]] = {}
    bar = Progress(TextColumn("[bold]evaluating"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                   console=Console(stderr=True), disable=not progress)
    t0 = time.perf_counter()
    with bar:
        task = bar.add_task("predict", total=len(samples), rate="")
        for i in range(0, len(samples), batch):
            chunk = samples[i:i + batch]
            results = model.predict(source=[str(root / s.image) for s in chunk], conf=conf,
                                    imgsz=imgsz, device=device, batch=len(chunk), verbose=False,
                                    stream=False, save=False)
            for s, r in zip(chunk, results, strict=True):
                out[s.id] = _to_predictions(r, names)
            done = i + len(chunk)
            bar.update(task, completed=done,
                       rate=f"{done / max(time.perf_counter() - t0, 1e-9):.1f} img/s")
    return out, len(samples) / max(time.perf_counter() - t0, 1e-9)


def validate_map(model: Any, data: Path, split: str, *, imgsz: int, device: str, batch: int,
                 project: Path) -> dict[str, tuple[float, float]]:
    """Per-class (mAP50, mAP50-95) on the exported `split`, from Ultralytics' validator.
    Classes without objects in the split are absent from the result."""
    metrics = model.val(data=str(data), split=split, imgsz=imgsz, batch=batch, device=device,
                        conf=0.001, plots=False, verbose=False, save_json=False,
                        project=str(project), name="val", exist_ok=True)
    names = _names(model)
    box = metrics.box
    return {names[int(c)]: (float(box.ap50[i]), float(box.ap[i]))
            for i, c in enumerate(box.ap_class_index)}
