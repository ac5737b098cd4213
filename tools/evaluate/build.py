"""The pure part of evaluation: samples + predictions in, MisclassificationReport out.

No model and no files: tests feed planted predictions, and `evaluate_model` feeds the
predictions of a trained model. Matching rules are in matching.py, the slice ranking in
ranking.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from ..errors import ValidationError
from ..models import (
    ClassMetrics,
    ConfusionMatrix,
    EvalSetInfo,
    ImageResult,
    MisclassificationReport,
    Sample,
)
from ..models.report import PredictedBox
from .matching import Prediction, match_detections
from .ranking import SCORE_METHOD
from .slices import ImageTally, compute_slices

BACKGROUND = "background"


def build_report(
    samples: Sequence[Sample],
    predictions: Mapping[str, Sequence[Prediction]],
    class_names: Sequence[str],
    *,
    task: str = "detection",
    iou_threshold: float = 0.5,
    conf_threshold: float = 0.25,
    eval_set: EvalSetInfo | None = None,
    map_per_class: Mapping[str, tuple[float, float]] | None = None,
    train_run_id: str | None = None,
    dataset_id: str | None = None,
    model: str = "",
) -> MisclassificationReport:
    """Score `predictions` (sample id -> predictions) against the samples' ground truth.

    Detection: predictions under `conf_threshold` are dropped, the rest matched by IoU
    (matching.py). Classification: each image's highest-confidence prediction is its label.
    `map_per_class` (class -> (mAP50, mAP50-95)) comes from Ultralytics' validator when a
    model was run; without it the mAP fields stay None. Raises ValidationError on an empty
    eval set, or a class name outside `class_names`.
    """
    if not samples:
        raise ValidationError("the eval set is empty: there is nothing to evaluate",
                              "generate a holdout split (test) before evaluating")
    if task not in ("detection", "classification"):
        raise ValidationError(f"unknown task {task!r}", "use 'detection' or 'classification'")
    names = list(class_names)
    known = set(names)
    labels = names + [BACKGROUND] if task == "detection" else names
    index = {n: i for i, n in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    tallies: list[ImageTally] = []
    images: list[ImageResult] = []
    score = _score_detection if task == "detection" else _score_classification
    for s in samples:
        preds = list(predictions.get(s.id, ()))
        for p in preds:
            if p.cls not in known:
                raise ValidationError(f"prediction class {p.cls!r} on sample {s.id} is not one "
                                      f"of the classes {names}",
                                      "evaluate with the dataset the model was trained on")
        tally, result = score(s, preds, known, index, matrix, iou_threshold, conf_threshold)
        tallies.append(tally)
        images.append(result)
    gt, tp, fp = Counter(), Counter(), Counter()
    for t in tallies:
        gt.update(t.gt)
        tp.update(t.tp)
        fp.update(t.fp)
    classes = [_class_metrics(c, gt[c], tp[c], fp[c], (map_per_class or {}).get(c))
               for c in names]
    overall = _overall(task, classes, len(samples), map_per_class)
    notes = [f"class {c.name} has no {'objects' if task == 'detection' else 'images'} in the "
             "eval set: its recall is not measured" for c in classes if c.support == 0]
    if eval_set is None:
        kinds = {s.source for s in samples}
        eval_set = EvalSetInfo(kind="real" if kinds == {"real"} else "synthetic",
                               n_images=len(samples), dataset_id=dataset_id,
                               n_objects=sum(gt.values()),
                               split=samples[0].split or "test")
    return MisclassificationReport(
        train_run_id=train_run_id, dataset_id=dataset_id, task=task, eval_set=eval_set,  # type: ignore[arg-type]
        overall=overall, classes=classes,
        confusion=ConfusionMatrix(labels=labels, matrix=matrix), images=images,
        slices=compute_slices(tallies, names, overall["recall"]),
        iou_threshold=iou_threshold, conf_threshold=conf_threshold,
        score_method=SCORE_METHOD, notes=notes, model=model,
    )


def _score_detection(s: Sample, preds: list[Prediction], known: set[str], index: dict,
                     matrix: list[list[int]], iou: float, conf: float):
    for a in s.annotations:
        if a.cls not in known:
            raise ValidationError(f"sample {s.id} has an object of class {a.cls!r}, not one of "
                                  f"the dataset's classes", "check the dataset's class list")
    preds = [p for p in preds if p.conf >= conf]
    gt_list = list(s.annotations)
    m = match_detections(gt_list, preds, iou)
    t = ImageTally(sample=s, gt=Counter(a.cls for a in gt_list))
    bg = index[BACKGROUND]
    for i, j in m.tp:
        t.tp[gt_list[i].cls] += 1
        matrix[index[gt_list[i].cls]][index[preds[j].cls]] += 1
    for i, j in m.confusions:
        t.fp[preds[j].cls] += 1
        matrix[index[gt_list[i].cls]][index[preds[j].cls]] += 1
    for j in m.fp:
        t.fp[preds[j].cls] += 1
        matrix[bg][index[preds[j].cls]] += 1
    for i in m.missed:
        matrix[index[gt_list[i].cls]][bg] += 1
    result = ImageResult(
        sample_id=s.id, tp=len(m.tp), fp=len(m.fp) + len(m.confusions),
        fn=len(gt_list) - len(m.tp),
        confusions=[(gt_list[i].cls, preds[j].cls) for i, j in m.confusions],
        missed=[gt_list[i].cls for i in m.missed],
        predicted=[PredictedBox(cls=p.cls, conf=round(min(max(p.conf, 0.0), 1.0), 4), box=p.box)
                   for p in preds],
        scenario_id=s.scenario_id, variables=dict(s.variables),
        objects=dict(t.gt), found=dict(t.tp), object_size=_object_size(s),
    )
    return t, result


def _object_size(s: Sample) -> float | None:
    """Median shorter box side over the sample's annotations, as a fraction of the image."""
    if not s.annotations or not s.width or not s.height:
        return None
    sides = sorted(min((a.box[2] - a.box[0]) / s.width, (a.box[3] - a.box[1]) / s.height)
                   for a in s.annotations)
    return round(sides[len(sides) // 2], 5)


def _score_classification(s: Sample, preds: list[Prediction], known: set[str], index: dict,
                          matrix: list[list[int]], iou: float, conf: float):
    if s.label is None or s.label not in known:
        raise ValidationError(f"sample {s.id} has label {s.label!r}, not one of the classes",
                              "classification samples need a label from the class list")
    if not preds:
        raise ValidationError(f"no prediction for sample {s.id}",
                              "a classifier gives one label for every image")
    top = max(preds, key=lambda p: p.conf)
    t = ImageTally(sample=s, gt=Counter({s.label: 1}))
    matrix[index[s.label]][index[top.cls]] += 1
    right = top.cls == s.label
    if right:
        t.tp[s.label] += 1
    else:
        t.fp[top.cls] += 1
    result = ImageResult(
        sample_id=s.id, tp=int(right), fp=int(not right), fn=int(not right),
        confusions=[] if right else [(s.label, top.cls)],
        predicted=[PredictedBox(cls=top.cls, conf=round(min(max(top.conf, 0.0), 1.0), 4))],
        scenario_id=s.scenario_id, variables=dict(s.variables),
        objects={s.label: 1}, found={s.label: int(right)}, object_size=_object_size(s),
    )
    return t, result


def _class_metrics(name: str, support: int, tp: int, fp: int,
                   maps: tuple[float, float] | None) -> ClassMetrics:
    return ClassMetrics(
        name=name, support=support, tp=tp, fp=fp, fn=support - tp,
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / support if support else 0.0,
        map50=None if maps is None else float(maps[0]),
        map50_95=None if maps is None else float(maps[1]),
    )


def _overall(task: str, classes: list[ClassMetrics], n_images: int,
             maps: Mapping[str, tuple[float, float]] | None) -> dict[str, float]:
    support = sum(c.support for c in classes)
    tp = sum(c.tp for c in classes)
    fp = sum(c.fp for c in classes)
    present = [c for c in classes if c.support > 0]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / support if support else 0.0
    out = {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "macro_recall": sum(c.recall for c in present) / len(present) if present else 0.0,
        "worst_class_recall": min((c.recall for c in present), default=0.0),
        "n_images": float(n_images),
        "n_objects": float(support),
    }
    if task == "classification":
        out["accuracy"] = recall
    else:
        out["fp_per_image"] = fp / n_images
    if maps:
        vals = [maps[c.name] for c in present if c.name in maps]
        if vals:
            out["map50"] = sum(v[0] for v in vals) / len(vals)
            out["map50_95"] = sum(v[1] for v in vals) / len(vals)
    return {k: round(v, 6) for k, v in out.items()}
