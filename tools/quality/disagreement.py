"""Model disagreement: out-of-fold predictions against the labels, judged by cleanlab.

Samples are split into K folds by a hash of their id; fold k's model trains (with the
project's own `train_model`) on the other folds and predicts fold k (`predict_samples`), so
no sample is judged by a model that saw its labels. cleanlab then ranks the labels:
`cleanlab.object_detection` for detection (image flag from `filter.find_label_issues`,
score from `rank.get_label_quality_scores`, the object and the reason from its per-box
swap / bad-location / overlooked scores) and `cleanlab.filter.find_label_issues` on the
out-of-fold class probabilities for classification.

cleanlab's detection scores do not fire for a label that no prediction overlaps at all
(swap and bad-location are 1.0 there: measured on planted faults, see
evals/bench_verify.py), which is what a label of an object that was never drawn, or a box
moved into empty background, looks like. So a second, plain rule runs beside it: a label
that no confident out-of-fold prediction (conf >= `match_conf`) overlaps at IoU >=
`match_iou` is flagged too ("not found by the model"; "looks like X" when a confident
prediction of another class sits on it). A sample is suspect when either says so.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..config import TrainingConfig, VerifyConfig
from ..dataset.versions import carve_val, policy_labels
from ..errors import ValidationError
from ..evaluate.matching import Prediction
from ..models import DatasetVersion, ObjectFlag, Policy, Sample, SampleVerdict

if TYPE_CHECKING:
    from ..store import Workspace

log = logging.getLogger(__name__)
BOX_ISSUE = 0.3  # per-box cleanlab score at or below which an object is named in the reason


# The settings are the config's [verify] section (declared once, in tools/config.py).
DisagreementConfig = VerifyConfig


def fold_of(sample_id: str, folds: int) -> int:
    return int(hashlib.sha256(f"fold:{sample_id}".encode()).hexdigest()[:8], 16) % folds


class ModelDisagreementVerifier:
    """Batch verifier: `verify_batch(ws, policy, samples)` trains K fold models and returns
    one SampleVerdict per sample. Costs K trainings of `training` (use a short schedule)."""

    name = "model_disagreement"

    def __init__(self, training: TrainingConfig, config: DisagreementConfig | None = None):
        self.training = training
        self.config = config or DisagreementConfig()
        self.seconds: dict[str, float] = {}
        self.by_cleanlab: set[str] = set()
        self.by_rule: set[str] = set()

    def verify_batch(self, ws: Workspace, policy: Policy, samples: Sequence[Sample], *,
                     progress: bool = False) -> list[SampleVerdict]:
        samples = list(samples)
        if len(samples) < self.config.min_samples:
            raise ValidationError(f"model disagreement needs at least {self.config.min_samples} "
                                  f"samples, got {len(samples)}", "verify a larger set of samples")
        names = policy_labels(policy)
        preds = self.out_of_fold(ws, policy, samples, progress=progress)
        t0 = time.perf_counter()
        out = self.judge(policy.task, samples, preds, names)
        self.seconds["cleanlab"] = time.perf_counter() - t0
        return out

    def judge(self, task: str, samples: list[Sample], preds: dict[str, list[Prediction]],
              names: list[str]) -> list[SampleVerdict]:
        """Verdicts from out-of-fold predictions (`preds`, keyed by sample id)."""
        out, self.by_cleanlab, self.by_rule = judge_predictions(
            task, samples, preds, names, self.config, verifier=self.name)
        return out

    def out_of_fold(self, ws: Workspace, policy: Policy, samples: list[Sample], *,
                    progress: bool = False) -> dict[str, list[Prediction]]:
        from ..evaluate.evaluate import _export_names
        from ..evaluate.predict import predict_samples
        from ..train import load_model, resolve_device, train_model
        from ..train.yolo import ultralytics_to_log

        k = self.config.folds
        folds = [[s for s in samples if fold_of(s.id, k) == f] for f in range(k)]
        if any(not f for f in folds):
            raise ValidationError("a fold is empty", "verify more samples or use fewer folds")
        out: dict[str, list[Prediction]] = {}
        train_s = pred_s = 0.0
        for f in range(k):
            rest = [s for g in range(k) if g != f for s in folds[g]]
            tr, va = carve_val(rest, 0.1)
            ds = ws.save_dataset(DatasetVersion(
                policy_version=policy.version, task=policy.task, class_names=policy_labels(policy),
                splits={"train": [s.id for s in tr], "val": [s.id for s in va]},
                note=f"model-disagreement fold {f + 1}/{k} (verification only)"))
            t0 = time.perf_counter()
            run = train_model(ws, ds, self.training, progress=progress)
            train_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            dev = resolve_device(self.training.device)
            with ultralytics_to_log(ws.log_path, ws_root=ws.root):
                model = load_model(ws.root, str(ws.root / run.weights), ds.task)
                p, _ = predict_samples(model, ws.root, folds[f], conf=self.config.conf,
                                       imgsz=self.training.imgsz, device=dev,
                                       batch=self.training.batch, progress=progress,
                                       rename=_export_names(ds))
            pred_s += time.perf_counter() - t0
            out.update(p)
        self.seconds.update(train=train_s, predict=pred_s)
        return out


def judge_predictions(task: str, samples: list[Sample], preds: dict[str, list[Prediction]],
                      names: list[str], config: DisagreementConfig, *, verifier: str
                      ) -> tuple[list[SampleVerdict], set[str], set[str]]:
    """Verdicts from predictions of a model that never saw these samples' labels, and the
    ids flagged by cleanlab and (beside it) by the unmatched-label rule."""
    if task == "classification":
        out = _judge_classification(samples, preds, names, verifier)
        return out, {v.sample_id for v in out if v.flagged}, set()
    out = _judge_detection(samples, preds, names, verifier)
    by_cleanlab, by_rule = {v.sample_id for v in out if v.flagged}, set()
    if config.unmatched_rule:
        out = [_unmatched(v, s, preds.get(s.id, []), config)
               for v, s in zip(out, samples, strict=True)]
        by_rule = {v.sample_id for v in out if v.flagged} - by_cleanlab
    return out, by_cleanlab, by_rule


# -- detection ----------------------------------------------------------------------------
def _cl_inputs(samples: list[Sample], preds: dict[str, list[Prediction]], names: list[str]):
    idx = {n: i for i, n in enumerate(names)}
    labels, predictions = [], []
    for s in samples:
        labels.append({"bboxes": np.array([a.box for a in s.annotations], float).reshape(-1, 4),
                       "labels": np.array([idx[a.cls] for a in s.annotations], int)})
        per = [[] for _ in names]
        for p in preds.get(s.id, []):
            if p.cls in idx and p.box is not None:
                per[idx[p.cls]].append([*p.box, p.conf])
        predictions.append(np.array([np.array(r, float).reshape(-1, 5) for r in per], dtype=object)
                           if per else np.empty((0,), dtype=object))
    return labels, predictions


class _InProcessPool:
    """Stands in for the process Pool cleanlab's object-detection filter starts for each
    IoU threshold: a Pool forked after torch's threads started can
    deadlock its worker (seen with cleanlab's classification filter: a test hung in
    Pool.terminate). The work per image is small; here it runs in this process."""

    def __init__(self, processes: int | None = None):
        pass

    def starmap(self, fn, args):
        return [fn(*a) for a in args]

    def close(self):
        pass

    def join(self):
        pass


def _judge_detection(samples, preds, names, verifier) -> list[SampleVerdict]:
    from cleanlab.object_detection import filter as od_filter
    from cleanlab.object_detection import rank as od_rank

    labels, predictions = _cl_inputs(samples, preds, names)
    forked = getattr(od_filter, "Pool", None)
    od_filter.Pool = _InProcessPool
    try:
        issues = od_filter.find_label_issues(labels, predictions)
    finally:
        od_filter.Pool = forked
    scores = od_rank.get_label_quality_scores(labels, predictions, verbose=False)
    kw = {"labels": labels, "predictions": predictions}
    swap = od_rank.compute_swap_box_scores(**kw)
    badloc = od_rank.compute_badloc_box_scores(**kw)
    over = od_rank.compute_overlooked_box_scores(**kw)
    out = []
    for i, s in enumerate(samples):
        objs = _object_flags(s, predictions[i], names, swap[i], badloc[i], over[i])
        flagged = bool(issues[i])
        reason = "; ".join(o.reason for o in objs[:3]) if objs else (
            "cleanlab: labels disagree with the out-of-fold model" if flagged else "")
        out.append(SampleVerdict(sample_id=s.id, verifier=verifier,
                                 verdict="suspect" if flagged else "ok",
                                 score=float(np.clip(np.nan_to_num(scores[i], nan=1.0), 0, 1)),
                                 reason=reason, objects=objs if flagged else []))
    return out


def _object_flags(s: Sample, pred, names, swap, badloc, over) -> list[ObjectFlag]:
    objs: list[ObjectFlag] = []
    for j, a in enumerate(s.annotations):
        sw = float(np.nan_to_num(swap[j], nan=1.0)) if j < len(swap) else 1.0
        bl = float(np.nan_to_num(badloc[j], nan=1.0)) if j < len(badloc) else 1.0
        low = min(sw, bl)
        if low <= BOX_ISSUE:
            why = (f"{a.cls}: the model sees another class or nothing here (swap {sw:.2f})"
                   if sw <= bl else f"{a.cls}: box off the object the model finds (location {bl:.2f})")
            objs.append(ObjectFlag(index=j, cls=a.cls, box=a.box, score=max(0.0, low), reason=why))
    flat = [(names[k], row) for k in range(len(names)) for row in (pred[k] if len(pred) else [])]
    for m, (cls, row) in enumerate(flat):
        sc = float(np.nan_to_num(over[m], nan=1.0)) if m < len(over) else 1.0
        if sc <= BOX_ISSUE:
            objs.append(ObjectFlag(index=None, cls=cls, box=tuple(float(v) for v in row[:4]),
                                   score=max(0.0, sc),
                                   reason=f"unlabelled {cls} found (conf {row[4]:.2f}, "
                                          f"overlooked {sc:.2f})"))
    return sorted(objs, key=lambda o: o.score)


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _unmatched(v: SampleVerdict, s: Sample, preds: list[Prediction],
               cfg: DisagreementConfig) -> SampleVerdict:
    """Add flags for labels that no confident prediction of their class overlaps. With the
    strict rule (the default) only where the model also gives evidence of what is wrong: it
    finds that class elsewhere, unlabelled (a box off its object), or another class on the
    box; and nothing of the label's class above `missing_conf` sits on it. A model that is
    merely weak on a hard object gives no such evidence (measured: evals/results/verify.md)."""
    boxed = [p for p in preds if p.box is not None]
    sure = [p for p in boxed if p.conf >= cfg.match_conf]
    known = {o.index for o in v.objects if o.index is not None}
    extra: list[ObjectFlag] = []
    for j, a in enumerate(s.annotations):
        same = max((_iou(a.box, p.box) for p in sure if p.cls == a.cls), default=0.0)
        if same >= cfg.match_iou or j in known:
            continue
        other = max(((_iou(a.box, p.box), p) for p in sure if p.cls != a.cls),
                    key=lambda t: t[0], default=(0.0, None))
        looks = other[1] is not None and other[0] >= 0.5
        if cfg.rule == "strict":
            weak = max((p.conf for p in boxed if p.cls == a.cls
                        and _iou(a.box, p.box) >= cfg.match_iou), default=0.0)
            elsewhere = [p for p in boxed if p.cls == a.cls and p.conf >= cfg.evidence_conf
                         and all(_iou(p.box, b.box) < cfg.match_iou for b in s.annotations
                                 if b.cls == a.cls)]
            evident = looks and other[1].conf >= cfg.evidence_conf
            if weak >= cfg.missing_conf or not (elsewhere or evident):
                continue
            if not evident:
                at = max(elsewhere, key=lambda p: p.conf)
                why = (f"{a.cls}: box off its object (the model finds a {a.cls} unlabelled at "
                       f"{tuple(round(x) for x in at.box)}, conf {at.conf:.2f})")
                extra.append(ObjectFlag(index=j, cls=a.cls, box=a.box, score=round(weak, 4),
                                        reason=why))
                continue
        why = (f"{a.cls}: looks like {other[1].cls} to the model (conf {other[1].conf:.2f})"
               if looks else f"{a.cls}: not found by the model (best IoU {same:.2f})")
        extra.append(ObjectFlag(index=j, cls=a.cls, box=a.box, score=round(same * 0.5, 4), reason=why))
    if not extra:
        return v
    objs = sorted([*v.objects, *extra], key=lambda o: o.score)
    return v.model_copy(update={"verdict": "suspect", "objects": objs,
                                "score": min(v.score, min(o.score for o in extra)),
                                "reason": "; ".join(o.reason for o in objs[:3])})


# -- classification -----------------------------------------------------------------------
def _judge_classification(samples, preds, names, verifier) -> list[SampleVerdict]:
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    idx = {n: i for i, n in enumerate(names)}
    probs = np.zeros((len(samples), len(names)))
    for i, s in enumerate(samples):
        for p in preds.get(s.id, []):
            if p.cls in idx:
                probs[i, idx[p.cls]] = p.conf
    probs = (probs + 1e-6) / (probs + 1e-6).sum(axis=1, keepdims=True)
    labels = np.array([idx[s.label] for s in samples])
    issues = find_label_issues(labels, probs, n_jobs=1)  # no forked pool beside torch's threads
    scores = get_label_quality_scores(labels, probs)
    out = []
    for i, s in enumerate(samples):
        top = names[int(probs[i].argmax())]
        out.append(SampleVerdict(
            sample_id=s.id, verifier=verifier, verdict="suspect" if issues[i] else "ok",
            score=float(scores[i]),
            reason=(f"label {s.label} but the out-of-fold model says {top} "
                    f"({probs[i].max():.2f})") if issues[i] else ""))
    return out
