"""Object-crop disagreement: an out-of-fold crop classifier against every label.

A detector trained on a few hundred CPU images misses many real, small objects, so its
silence on a label is weak evidence (evals/results/verify.md). A classifier that is shown
each labelled box, centred and scaled, is a far easier learner: it answers "what does this
box frame: which class, or nothing?" Samples are split into K folds by a hash of their id;
fold k's classifier (a small CNN, tools/quality/crop_data.py for its crops) learns from the
other folds' labelled boxes and background boxes and judges fold k, so no label is judged
by a model that learnt it. Given `reference` samples (the previous iteration, in the
loop), one classifier learns from them and judges every sample instead.

Per label the score is cleanlab's self-confidence, the out-of-fold probability of the
given class (`cleanlab.rank.get_label_quality_scores`). A label is flagged when cleanlab's
`filter.find_label_issues` says so, when that score is below `threshold` (a quarter of it
for a label that says its object is at least `occluded_cut` hidden: little of it can be
seen), or when the classifier gives another object class at least `other_threshold` (the
object looks like something else: a hat drawn with a vest's look). cleanlab's confident joint alone misses most labels of objects never drawn: the
background class is so easy that its per-class threshold sits near 0.97 and a box of
nothing scored 0.93 background is not counted (measured, evals/results/verify.md). Windows
where no label is (crop_data.scan_windows) that the classifier calls an object with
probability >= `extra_threshold` are flagged as unlabelled objects. With a detector (the
loop's previous model), its boxes where no label is are the candidates instead, each moved
to the best-framed of 27 boxes around it when the classifier already leans to its class
(`reframe`: a low-confidence box frames its object only roughly), and a worn class is only
looked for on a labelled person. Two choices make the reference a better teacher: its own
faults are left out first (`clean_reference`: the reference judged out-of-fold, its flagged
samples dropped), and the detector's boxes on its own training images where no label is
(a bag, a sign, a cone it half takes for a person) are learnt as background
(`hard_negatives`). Rules learnt from the labels keep a candidate to where and how big its
class can be: for a worn class its own place on the person (`part_only`: a hat at the
head, not on the chest), and, judged on the reframed box, the shape and size of that
class's labels (`shape_slack`) and the size the labels of its class in the same image
allow (`peer_sizes`, tools/quality/peer_sizes.py: a crate framed as a "person" at half the
size of the person beside it). A faint object's detector box is often of the wrong size,
so each candidate is also tried at the size its neighbours give (`peer_reframe`) before
it is reframed. A worn object's crop shows the person under it, so the
person class is not taken for its rival look (`worn_context`). Each crop can also be
judged with its mirror image (`flip`, off). The few epochs that keep the label model from
learning the wrong labels also leave it unsure of a dark or half-hidden object; with
`search_epochs` a second model, trained longer on the same crops, judges the candidates.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..config import CropVerifyConfig
from ..dataset.versions import policy_labels
from ..errors import ValidationError
from ..models import ObjectFlag, Policy, Sample, SampleVerdict
from .crop_data import (
    WORN,
    absent_boxes,
    background_boxes,
    class_shapes,
    class_sizes,
    crop_array,
    fits_shape,
    hard_negatives,
    iou,
    jittered_boxes,
    looks_swapped,
    nms,
    on_a_carrier,
    reframed,
    relative_parts,
    scan_windows,
    worn_erased,
)
from .peer_sizes import fits_peers, peer_boxes, peer_sizes

if TYPE_CHECKING:
    from ..store import Workspace

log = logging.getLogger(__name__)


def fold_of(sample_id: str, folds: int) -> int:
    return int(hashlib.sha256(f"cropfold:{sample_id}".encode()).hexdigest()[:8], 16) % folds


def _net(n_out: int, standardize: bool = False):
    from torch import nn

    class Standardize(nn.Module):
        """Each crop to zero mean and unit spread over all its pixels and channels."""

        def forward(self, x):
            mean = x.mean((1, 2, 3), keepdim=True)
            return (x - mean) / (x.std((1, 2, 3), keepdim=True) + 0.01)

    def block(i: int, o: int) -> list:
        return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
    first = [Standardize()] if standardize else []
    return nn.Sequential(*first, *block(3, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2),
                         *block(64, 128), nn.MaxPool2d(2), *block(128, 128),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, n_out))


def _tensor(x: np.ndarray):
    import torch
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)


def train_classifier(x: np.ndarray, y: np.ndarray, n_out: int, cfg: CropVerifyConfig):
    """A small CNN on uint8 crops `x` (n, s, s, 3) with labels `y`; flips every other epoch."""
    import torch
    from torch import nn

    torch.manual_seed(cfg.seed)
    model = _net(n_out, cfg.standardize)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    steps = cfg.epochs * (len(y) // cfg.batch + 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps)
    xt, yt = _tensor(x), torch.from_numpy(y.astype(np.int64))
    rng = np.random.RandomState(cfg.seed)
    model.train()
    for epoch in range(cfg.epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(order), cfg.batch):
            idx = order[i:i + cfg.batch]
            xb = xt[idx].flip(3) if epoch % 2 else xt[idx]
            loss = nn.functional.cross_entropy(model(xb), yt[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def train_ensemble(x: np.ndarray, y: np.ndarray, n_out: int, cfg: CropVerifyConfig):
    """`cfg.ensemble` classifiers of different seeds whose probabilities are averaged (one
    alone when it is 1): a single small CNN's verdict on a hard crop varies with its seed."""
    import torch
    from torch import nn

    models = [train_classifier(x, y, n_out, cfg.model_copy(update={"seed": cfg.seed + k}))
              for k in range(cfg.ensemble)]
    if len(models) == 1:
        return models[0]

    class Mean(nn.Module):
        def __init__(self):
            super().__init__()
            self.members = nn.ModuleList(models)
            self.out_features = n_out

        def forward(self, xb):  # log of the mean probability: softmax of it gives the mean
            probs = torch.stack([torch.softmax(m(xb), 1) for m in self.members]).mean(0)
            return torch.log(probs + 1e-12)
    return Mean().eval()


def fit(x: np.ndarray, y: np.ndarray, n_out: int, cfg: CropVerifyConfig):
    """The crop model for training crops `x`, `y`. With `cfg.prune`, a first model judges
    its own training crops and those it gives their class less than `prune` (wrong labels
    among them: a hat drawn with a vest's look, a person nobody labelled inside a
    background box) are left out of a second training, whose model is returned."""
    model = train_ensemble(x, y, n_out, cfg)
    if not cfg.prune or not len(y):
        return model
    own = predict_probs(model, x)[np.arange(len(y)), y]
    keep = own >= cfg.prune
    log.info("crop model: %d of %d training crops pruned (own class < %.2f)",
             int((~keep).sum()), len(y), cfg.prune)
    return train_ensemble(x[keep], y[keep], n_out, cfg)


def predict_probs(model, x: np.ndarray, batch: int = 512, flip: bool = False) -> np.ndarray:
    """Class probabilities of crops `x`; with `flip`, the mean of each crop's and its mirror
    image's (the model learnt both), a steadier verdict on a crop it is unsure of."""
    import torch
    if not len(x):
        return np.zeros((0, getattr(model, "out_features", None) or model[-1].out_features))

    def probs(t):
        p = torch.softmax(model(t), 1)
        return (p + torch.softmax(model(t.flip(3)), 1)) / 2 if flip else p
    with torch.no_grad():
        return torch.cat([probs(_tensor(x[i:i + batch]))
                          for i in range(0, len(x), batch)]).numpy()


def _free_of_labels(annotations, near: float):
    """A test of (class, box): no label of that class overlaps the box at IoU >= near."""
    return lambda c, b: not any(a.cls == c and iou(a.box, b) >= near for a in annotations)


class ObjectCropVerifier:
    """Batch verifier: `verify_batch(ws, policy, samples)`; detection policies only."""

    name = "object_crops"

    def __init__(self, config: CropVerifyConfig | None = None, *,
                 reference: Sequence[Sample] | None = None, detector=None):
        self.config = config or CropVerifyConfig()
        self.reference = list(reference or [])
        self.reference_left_out: list[str] = []
        """Reference sample ids left out of the crop model's training (`clean_reference`)."""
        self.detector = detector
        """Optional: anything with `predict(ws, samples, conf=c) -> {sample id: [Prediction]}`
        (e.g. HeldOutModelVerifier, the previous iteration's model): its boxes where no label
        is are the candidates for unlabelled objects, confirmed by the crop classifier,
        instead of the window scan."""
        self.seconds: dict[str, float] = {}
        self.parts: dict = {}
        self.by_cleanlab: set[str] = set()
        self.by_rule: set[str] = set()
        self.windows: list[tuple[str, str, tuple, float, float]] | None = None
        """Set to a list to keep every candidate window the crop model gives its class at
        least 0.2: (sample id, class, box, that probability, the detector's confidence or 0)."""

    # -- data ------------------------------------------------------------------------------
    def _labelled(self, ws: Workspace, samples: Sequence[Sample], idx: dict[str, int],
                  seed: int, parts: dict | None = None, appears: dict | None = None,
                  hard: dict | None = None
                  ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
        """Crops of every label (y = its class) and of background boxes (y = len(classes)),
        with (sample position, label index or -1) for each."""
        from PIL import Image

        cfg, bg = self.config, len(idx)
        xs, ys, where = [], [], []
        for si, s in enumerate(samples):
            rng = random.Random(f"{seed}:{s.id}")
            anns = [(j, a) for j, a in enumerate(s.annotations) if a.cls in idx]
            if not anns:
                continue
            with Image.open(ws.root / s.image) as im:
                image = im.convert("RGB")
            neg = background_boxes(s, rng, per_label=cfg.background_per_label)
            if parts:
                neg += absent_boxes(s, parts, appears or {})
            if hard:
                neg += hard_negatives(s, hard.get(s.id, []), self.config.hard_negatives)
            loose = [(j, b) for j, b in jittered_boxes(s, rng) if s.annotations[j].cls in idx]
            boxes = [a.box for _, a in anns] + neg + [b for _, b in loose]
            xs.append(crop_array(image, boxes, cfg.size, cfg.margin))
            ys += ([idx[a.cls] for _, a in anns] + [bg] * len(neg)
                   + [idx[s.annotations[j].cls] for j, _ in loose])
            # loosely framed and worn-erased copies train but are never judged (index -2)
            where += [(si, j) for j, _ in anns] + [(si, -1)] * len(neg) + [(si, -2)] * len(loose)
            erased = worn_erased(image, s, appears or {}) if cfg.erase_worn else None
            if erased is not None:
                bare = [j for j in erased[1] if s.annotations[j].cls in idx]
                xs.append(crop_array(erased[0], [s.annotations[j].box for j in bare],
                                     cfg.size, cfg.margin))
                ys += [idx[s.annotations[j].cls] for j in bare]
                where += [(si, -2)] * len(bare)
            for copy, box, look in (looks_swapped(image, s, appears or {})
                                    if cfg.swap_looks else []):
                if look in idx:
                    xs.append(crop_array(copy, [box], cfg.size, cfg.margin))
                    ys.append(idx[look])
                    where.append((si, -2))
        x = np.concatenate(xs) if xs else np.zeros((0, cfg.size, cfg.size, 3), np.uint8)
        return x, np.array(ys, int), where

    # -- the verifier ----------------------------------------------------------------------
    def verify_batch(self, ws: Workspace, policy: Policy, samples: Sequence[Sample], *,
                     progress: bool = False) -> list[SampleVerdict]:
        import torch

        if policy.task != "detection":
            raise ValidationError("the object-crop verifier judges boxes: this policy is "
                                  f"{policy.task}", "use the model-disagreement verifier")
        samples = list(samples)
        cfg = self.config
        if len(samples) + len(self.reference) < cfg.min_samples:
            raise ValidationError(f"the object-crop verifier needs at least {cfg.min_samples} "
                                  f"samples, got {len(samples)}", "verify a larger set")
        names = policy_labels(policy)
        idx = {n: i for i, n in enumerate(names)}
        appears = {c.name: c.appears for c in policy.classes}
        threads = torch.get_num_threads()
        torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
        try:
            t0 = time.perf_counter()
            self.parts = relative_parts([*samples, *self.reference], appears)
            parts = self.parts if cfg.absent else {}
            x, y, where = self._labelled(ws, samples, idx, cfg.seed, parts, appears)
            self.seconds["crops"] = time.perf_counter() - t0
            probs = np.zeros((len(y), len(names) + 1))
            models = []
            t0 = time.perf_counter()
            if self.reference:
                reference = self._cleaned_reference(ws, policy, progress)
                hard = None
                if self.detector is not None and cfg.hard_negatives:
                    hard = self.detector.predict(ws, reference, conf=cfg.proposal_conf,
                                                 seen=True)
                rx, ry, _ = self._labelled(ws, reference, idx, cfg.seed + 1, parts, appears, hard)
                models = [fit(rx, ry, len(names) + 1, cfg)]
                probs = predict_probs(models[0], x, flip=cfg.flip)
                fold_models = [models[0]] * len(samples)
                if cfg.search_epochs:
                    fold_models = [self._search_model(rx, ry, len(names) + 1)] * len(samples)
            else:
                folds = np.array([fold_of(samples[si].id, cfg.folds) for si, _ in where], int)
                fold_models = [None] * len(samples)
                for f in range(cfg.folds):
                    test = np.where(folds == f)[0]
                    if not len(test):
                        continue
                    m = fit(x[folds != f], y[folds != f], len(names) + 1, cfg)
                    probs[test] = predict_probs(m, x[test], flip=cfg.flip)
                    if cfg.search_epochs and cfg.scan:
                        m = self._search_model(x[folds != f], y[folds != f], len(names) + 1)
                    for si, s in enumerate(samples):
                        if fold_of(s.id, cfg.folds) == f:
                            fold_models[si] = m
            self.seconds["train"] = time.perf_counter() - t0
            proposals = None
            if self.detector is not None:
                t0 = time.perf_counter()
                proposals = self.detector.predict(ws, samples, conf=cfg.proposal_conf)
                self.seconds["detector"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = self._judge(ws, samples, x, y, where, probs, names, appears, fold_models,
                              proposals)
            self.seconds["judge"] = time.perf_counter() - t0
        finally:
            torch.set_num_threads(threads)
        return out

    def _search_model(self, x: np.ndarray, y: np.ndarray, n_out: int):
        """The model that judges candidates for unlabelled objects (`search_epochs`): the
        same crops, trained longer and without pruning."""
        cfg = self.config
        return fit(x, y, n_out, cfg.model_copy(update={"epochs": cfg.search_epochs,
                                                       "prune": 0.0}))

    def _cleaned_reference(self, ws, policy, progress: bool) -> list[Sample]:
        """The reference samples, less those this verifier flags among them out-of-fold
        (`clean_reference`; without its scan for unlabelled objects, which only a detector
        that never saw them could propose): the previous iteration's labels hold the same
        kinds of fault as the new ones, and a crop model that learns them takes a hat drawn
        with a vest's look for a hat."""
        cfg = self.config
        if not cfg.clean_reference or len(self.reference) < cfg.min_samples:
            self.reference_left_out = []
            return self.reference
        t0 = time.perf_counter()
        inner = ObjectCropVerifier(cfg.model_copy(update={"clean_reference": False,
                                                          "scan": False, "search_epochs": 0}))
        verdicts = inner.verify_batch(ws, policy, self.reference, progress=progress)
        out = {v.sample_id for v in verdicts if v.verdict == "suspect"}
        self.reference_left_out = sorted(out)
        self.seconds["clean_reference"] = time.perf_counter() - t0
        log.info("crop model: %d of %d reference samples left out (flagged out-of-fold)",
                 len(out), len(self.reference))
        return [s for s in self.reference if s.id not in out]

    def _reframe(self, image, model, wins, p, names, free):
        """Each candidate the crop model gives its class at least `reframe_from`, moved to
        the best of the 27 boxes around it (crop_data.reframed) that frames no label."""
        cfg = self.config
        wins, p = list(wins), p.copy()
        for k, (c, b) in enumerate(wins):
            col = names.index(c)
            if p[k, col] < cfg.reframe_from:
                continue
            boxes = [nb for nb in reframed(b) if free(c, nb)]
            if not boxes:
                continue
            q = predict_probs(model, crop_array(image, boxes, cfg.size, cfg.margin), flip=cfg.flip)
            best = int(np.argmax(q[:, col]))
            if q[best, col] > p[k, col]:
                wins[k], p[k] = (c, boxes[best]), q[best]
        return wins, p

    def _peer_reframe(self, image, model, s, wins, p, names, free, peers):
        """Each candidate moved to the box of the size the labels of its class in the image
        predict (peer_sizes.peer_boxes), where the crop model gives its class more there."""
        cfg = self.config
        alts = [[nb for nb in peer_boxes(s, c, b, peers) if free(c, nb)] for c, b in wins]
        flat = [nb for boxes in alts for nb in boxes]
        if not flat:
            return wins, p
        q = predict_probs(model, crop_array(image, flat, cfg.size, cfg.margin), flip=cfg.flip)
        wins, p, at = list(wins), p.copy(), 0
        for k, boxes in enumerate(alts):
            col = names.index(wins[k][0])
            if boxes:
                best = at + int(np.argmax(q[at:at + len(boxes), col]))
                if q[best, col] > p[k, col]:
                    wins[k], p[k] = (wins[k][0], flat[best]), q[best]
            at += len(boxes)
        return wins, p

    def _stands_right(self, s: Sample, c: str, b, appears) -> bool:
        """Whether a detector's candidate of class `c` at box `b` stands where its class can
        be: a worn class on a person, at its own part with `part_only`."""
        return on_a_carrier(s, c, b, appears, parts=self.parts if self.config.part_only else None)

    def _sized_right(self, s: Sample, c: str, b, shapes, peers) -> bool:
        """Whether a candidate's box (after reframing: the detector's own box of a faint
        object is only rough) has the shape of its class's labels (`shape_slack`) and the
        size the labels of its class beside it allow (`peer_sizes`)."""
        cfg = self.config
        return ((not cfg.shape_slack or fits_shape(s, c, b, shapes, cfg.shape_slack))
                and (not cfg.peer_sizes or fits_peers(s, c, b, peers, cfg.peer_slack)))

    def _judge(self, ws, samples, x, y, where, probs, names, appears, fold_models,
               proposals=None):
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores
        from PIL import Image

        cfg, bg = self.config, len(names)
        self.label_scores = {(samples[si].id, j): (float(probs[i, y[i]]), names[int(np.argmax(probs[i]))]
                             if int(np.argmax(probs[i])) < bg else "nothing")
                             for i, (si, j) in enumerate(where) if j >= 0}
        """(sample id, label index) -> (probability of its class, the classifier's top class)."""
        # n_jobs=1: cleanlab's default forks a process pool, and forked after torch's threads
        # started its workers can deadlock (seen: a test hung in Pool.terminate)
        issues = (find_label_issues(y, probs, n_jobs=1) if len(set(y.tolist())) > 1
                  else np.zeros(len(y), bool))
        quality = get_label_quality_scores(y, probs, method="self_confidence") if len(y) else y
        sizes = class_sizes([*samples, *self.reference])
        carriers = {k for k, n in enumerate(names) if appears.get(n) == "person"}
        shapes = class_shapes([*samples, *self.reference]) if cfg.shape_slack else {}
        peers = (peer_sizes([*samples, *self.reference])
                 if cfg.peer_sizes or cfg.peer_reframe else {})
        per: dict[int, list[ObjectFlag]] = {}
        self.by_cleanlab, self.by_rule = set(), set()
        for i, (si, j) in enumerate(where):
            if j < 0:
                continue
            s = samples[si]
            a = s.annotations[j]
            q = float(quality[i])
            limit = cfg.threshold * (cfg.occluded_factor if a.occluded >= cfg.occluded_cut else 1.0)
            low = q < limit
            rivals = [k for k in range(bg) if k != y[i]
                      and not (cfg.worn_context and k in carriers and appears.get(a.cls) in WORN)]
            rival = max(rivals, key=lambda k: probs[i, k], default=None)
            looks_other = rival is not None and probs[i, rival] >= cfg.other_threshold
            if not (issues[i] or low or looks_other):
                continue
            (self.by_cleanlab if issues[i] else self.by_rule).add(s.id)
            top = int(np.argmax(probs[i]))
            if looks_other and top in (bg, y[i]):
                top = rival
            if top == bg or top == y[i]:
                why = f"{a.cls} {j}: the crop model sees no {a.cls} in its box (p {q:.2f})"
            else:
                why = (f"{a.cls} {j}: looks like {names[top]} to the crop model (p {a.cls} "
                       f"{q:.2f}, {names[top]} {probs[i, top]:.2f})")
            per.setdefault(si, []).append(ObjectFlag(index=j, cls=a.cls, box=a.box,
                                                     score=round(min(1.0, max(0.0, q)), 4),
                                                     reason=why))
        for si, s in enumerate(samples):
            if proposals is not None:
                found = [p for p in proposals.get(s.id, [])
                         if p.box is not None and p.conf >= cfg.proposal_conf]
                wins = [(p.cls, p.box) for p in found]
                sure = {(p.cls, tuple(p.box)): p.conf for p in found}
                need = cfg.confirm
            elif cfg.scan:
                wins = scan_windows(s, sizes, appears, cfg.stride)
                need = cfg.extra_threshold
            else:
                continue
            near = cfg.label_iou if proposals is not None else 0.1  # a scan window is loose
            free = _free_of_labels(s.annotations, near)
            wins = [(c, b) for c, b in wins if c in names and free(c, b)
                    and (proposals is None or self._stands_right(s, c, b, appears))]
            if not wins:
                continue
            det = [sure.get((c, tuple(b)), 0.0) if proposals is not None else 0.0
                   for c, b in wins]
            with Image.open(ws.root / s.image) as im:
                image = im.convert("RGB")
            model = fold_models[si]
            p = predict_probs(model, crop_array(image, [b for _, b in wins], cfg.size, cfg.margin),
                              flip=cfg.flip)
            if proposals is not None and cfg.reframe:
                if cfg.peer_reframe and peers:
                    wins, p = self._peer_reframe(image, model, s, wins, p, names, free, peers)
                wins, p = self._reframe(image, model, wins, p, names, free)
            if self.windows is not None:
                self.windows += [(s.id, c, b, float(p[k, names.index(c)]), det[k])
                                 for k, (c, b) in enumerate(wins) if p[k, names.index(c)] >= 0.2]
            cands = [(float(p[k, names.index(c)]), c, b) for k, (c, b) in enumerate(wins)
                     if p[k, names.index(c)] >= need
                     and (proposals is None or self._sized_right(s, c, b, shapes, peers))]
            for conf, c, b in nms(cands)[:3]:
                self.by_rule.add(s.id)
                by = "the detector, confirmed by the crop model" if proposals is not None \
                    else "the crop model"
                per.setdefault(si, []).append(ObjectFlag(
                    index=None, cls=c, box=tuple(round(v, 1) for v in b),
                    score=round(1.0 - conf, 4),
                    reason=f"unlabelled {c} found by {by} (p {conf:.2f})"))
        out = []
        for si, s in enumerate(samples):
            objs = sorted(per.get(si, []), key=lambda o: o.score)
            out.append(SampleVerdict(
                sample_id=s.id, verifier=self.name, verdict="suspect" if objs else "ok",
                score=min([o.score for o in objs], default=1.0),
                reason="; ".join(o.reason for o in objs[:3]), objects=objs))
        return out
