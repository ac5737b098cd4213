"""Dataset versions: an immutable list of sample ids per split, with a manifest hash.

Split policy (the eval set is sacred):
- real images keep the split they were imported to, `test` by default;
- augmented copies go to `train` (a copy whose parent is in `test` is refused);
- synthetic samples keep their spec's split (train/val/test).
When real test images exist, the test split is those real images and `holdout` is "real";
synthetic test-split samples are then kept apart as `synthetic_test` (still never trained on).
Without real test images, the test split is the synthetic holdout (specs with split="test",
seeds never used for training) and `holdout` is "synthetic".

Ultralytics' trainer needs a `val` split. When nothing is marked `val`, a deterministic
`val_fraction` of the training groups (a group is a sample and its augmented copies, so a
copy never sits in val while its parent trains) moves to `val`, synthetic samples first.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable

from ..errors import ValidationError
from ..models import DatasetVersion, Policy, Sample
from ..store import Workspace

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
SYNTHETIC_TEST = "synthetic_test"


def policy_labels(policy: Policy) -> list[str]:
    """The class names a dataset of `policy` uses: object classes for detection, image
    labels (scenario label, else scenario kind) for classification."""
    if policy.task == "detection":
        return policy.class_names()
    out: list[str] = []
    for s in policy.scenarios:
        lab = s.label or s.kind
        if lab not in out:
            out.append(lab)
    return out


def sample_classes(sample: Sample, task: str) -> list[str]:
    """The class of each object (detection) or the image label (classification)."""
    if task == "classification":
        return [sample.label] if sample.label else []
    return [a.cls for a in sample.annotations]


def count_classes(samples: Iterable[Sample], task: str, *, images: bool = False) -> Counter:
    """Objects (or, with images=True, images containing the class) per class."""
    c: Counter = Counter()
    for s in samples:
        names = sample_classes(s, task)
        c.update(set(names) if images else names)
    return c


def _split_of(s: Sample, parent_split: dict[str, str | None]) -> str | None:
    if s.source == "real":
        return s.split or "test"
    if s.source == "augmented":
        par = s.provenance.parent_sample
        if par and parent_split.get(par) == "test":
            return None  # built from an eval image: never train on it
        return "train"
    return s.split or "train"


def _group_rank(group: str) -> str:
    return hashlib.sha256(group.encode()).hexdigest()


def carve_val(train: list[Sample], fraction: float) -> tuple[list[Sample], list[Sample]]:
    """Move a deterministic `fraction` of training groups to val; returns (train, val)."""
    groups: dict[str, list[Sample]] = {}
    for s in train:
        groups.setdefault(s.provenance.parent_sample or s.id, []).append(s)
    synthetic = [g for g, items in groups.items() if all(x.source == "synthetic" for x in items)]
    pool = synthetic or list(groups)
    k = int(round(len(groups) * fraction))
    if fraction <= 0 or len(groups) < 2 or k == 0:
        return train, []
    chosen = set(sorted(pool, key=_group_rank)[: min(k, len(pool))])
    return ([s for s in train if (s.provenance.parent_sample or s.id) not in chosen],
            [s for s in train if (s.provenance.parent_sample or s.id) in chosen])


def assign_splits(samples: list[Sample], val_fraction: float = 0.1) -> tuple[dict[str, list[Sample]], str]:
    """Apply the split policy above; returns (split -> samples, holdout kind)."""
    parent_split = {s.id: s.split for s in samples}
    splits: dict[str, list[Sample]] = {k: [] for k in SPLITS}
    for s in samples:
        sp = _split_of(s, parent_split)
        if sp is None:
            log.warning("augmented sample %s comes from test image %s; left out",
                        s.id, s.provenance.parent_sample)
            continue
        splits[sp].append(s)
    real_test = [s for s in splits["test"] if s.source == "real"]
    holdout = "real" if real_test else "synthetic"
    if real_test:
        synth = [s for s in splits["test"] if s.source != "real"]
        splits["test"] = real_test
        if synth:
            splits[SYNTHETIC_TEST] = synth
    if not splits["val"]:
        splits["train"], splits["val"] = carve_val(splits["train"], val_fraction)
        if splits["val"]:
            log.info("no val samples: moved %d training samples to val", len(splits["val"]))
    return splits, holdout


def build_dataset_version(ws: Workspace, policy: Policy, *,
                          sample_ids: Iterable[str] | None = None, parent: str | None = None,
                          note: str = "", min_per_class: int = 0, val_fraction: float = 0.1,
                          strict: bool = True, exclude_quarantined: bool = True) -> DatasetVersion:
    """Freeze the workspace's samples (or `sample_ids`) into a stored DatasetVersion.

    Samples whose classes the policy does not know are left out with a warning. With
    `min_per_class`, a class with fewer objects (images, for classification) in train
    raises ValidationError (or only warns with strict=False). Samples a verifier
    quarantined (see tools.quality) are left out of train and val, never of the eval
    splits; their ids are recorded in `ds.excluded`. Releasing them brings them back in the
    next version.

    ds = build_dataset_version(ws, ws.get_policy(), min_per_class=5)
    ds.count("train"), ds.holdout
    """
    if policy.version is None:
        raise ValidationError("the policy has no version: it was never stored",
                              "store it first with ws.save_policy(policy)")
    samples = list(ws.iter_samples()) if sample_ids is None else ws.get_samples(sample_ids)
    names = policy_labels(policy)
    known, dropped = [], Counter()
    for s in samples:
        bad = [c for c in sample_classes(s, policy.task) if c not in names]
        if policy.task == "classification" and not s.label:
            bad = ["(no label)"]
        if bad:
            dropped.update(bad)
        else:
            known.append(s)
    if dropped:
        log.warning("left out %d sample(s) with classes the policy does not have: %s",
                    len(samples) - len(known), ", ".join(f"{k} ({v})" for k, v in dropped.items()))
    splits, holdout = assign_splits(known, val_fraction)
    excluded: list[str] = []
    if exclude_quarantined:
        held = ws.quarantined_ids()
        for k in ("train", "val"):
            excluded += [s.id for s in splits[k] if s.id in held]
            splits[k] = [s for s in splits[k] if s.id not in held]
        if excluded:
            log.info("left out %d quarantined sample(s) from train/val", len(excluded))
            note = (note + "; " if note else "") + f"{len(excluded)} quarantined sample(s) excluded"
    if min_per_class > 0:
        check_min_per_class(splits["train"], names, policy.task, min_per_class, strict=strict)
    ds = DatasetVersion(policy_version=policy.version, task=policy.task, class_names=names,
                        splits={k: [s.id for s in v] for k, v in splits.items()},
                        holdout=holdout, parent=parent, note=note, excluded=sorted(excluded))
    return ws.save_dataset(ds)


def check_min_per_class(train: list[Sample], names: list[str], task: str, minimum: int, *,
                        strict: bool = True) -> dict[str, int]:
    """Classes with fewer than `minimum` training objects; raises when `strict`."""
    counts = count_classes(train, task)
    short = {n: counts.get(n, 0) for n in names if counts.get(n, 0) < minimum}
    if short:
        what = "images" if task == "classification" else "objects"
        msg = (f"{len(short)} class(es) have fewer than {minimum} training {what}: "
               + ", ".join(f"{k}={v}" for k, v in short.items()))
        if strict:
            raise ValidationError(msg, "generate more data for them, or run: synthloop augment "
                                       f"--min-per-class {minimum}")
        log.warning(msg)
    return short


def dataset_samples(ws: Workspace, ds: DatasetVersion, split: str) -> list[Sample]:
    """The samples of one split of a dataset version, in the version's order."""
    return ws.get_samples(ds.splits.get(split, []))


def describe_dataset(ws: Workspace, ds: DatasetVersion) -> dict[str, dict[str, int]]:
    """split -> {"images": n, <class>: objects (or images, classification)}."""
    out: dict[str, dict[str, int]] = {}
    for split, ids in ds.splits.items():
        counts = count_classes(ws.get_samples(ids), ds.task)
        out[split] = {"images": len(ids)} | {n: counts.get(n, 0) for n in ds.class_names}
    return out
