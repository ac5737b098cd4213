"""dataset: a new immutable dataset version with every sample of this run's policy (and
real images), with the synthetic-share cap where real training images exist."""

from __future__ import annotations

import hashlib
from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.dataset import build_dataset_version

from ..context import LoopContext
from ..state import LoopState
from .common import settings_of, stage


def cap_synthetic(synthetic: list[str], real_train: int, share: float) -> list[str]:
    """Keep at most `share` synthetic in the training split when real training images exist
    (the model-collapse guard); which ones stay is a deterministic hash order."""
    if real_train == 0 or share >= 1.0:
        return synthetic
    keep = int(real_train * share / (1.0 - share))
    ranked = sorted(synthetic, key=lambda i: hashlib.sha256(i.encode()).hexdigest())
    return sorted(ranked[:keep])


def dataset(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    s = settings_of(state)
    policy = ws.get_policy(state["policy_version"])
    spec_ids = {sp.id for sp in ws.iter_specs(policy_version=policy.version)}
    synthetic, real, real_train = [], [], 0
    for sm in ws.iter_samples():
        if sm.source == "real":
            real.append(sm.id)
            real_train += sm.split == "train"
        elif sm.spec_id in spec_ids or sm.source == "augmented":
            synthetic.append(sm.id)
    kept = cap_synthetic(synthetic, real_train, s.max_synthetic_share)
    stage(runtime, "building the dataset version")
    ds = build_dataset_version(ws, policy, sample_ids=kept + real, parent=state.get("dataset_id"),
                               note=f"iteration {state.get('iteration', 0)}")
    counts = {k: len(v) for k, v in ds.splits.items()}
    capped = f" (synthetic capped {len(synthetic)} -> {len(kept)})" if len(kept) < len(synthetic) else ""
    runtime.context.console.print(f"dataset {ds.id}: {counts}, holdout {ds.holdout}{capped}")
    return {"dataset_id": ds.id}
