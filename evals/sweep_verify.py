"""Compare crop-verifier judging settings on prepared seeds, training once per seed.

    .venv/bin/python -m synthloop.evals.sweep_verify --workdir W --seeds 0 1 2 \\
        --try base: --try chest:part_only=true --try both:part_only=true,worn_context=true

The expensive part of `bench_verify --verifier crops --mode heldout` is training (the
cleaned reference, the crop model) and the detector's proposals; the settings that act
only after them (thresholds, candidate rules) are judged here on the very same
probabilities, so their differences are the settings' own, not training noise. Each seed
must have been prepared by `bench_verify --workdir W` with the same data settings (the
defaults below match the benchmark's documented command). `--fit KEY=VALUE` changes a
setting that acts on training or prediction for every try (e.g. flip=true). Prints one
row per try: recall, precision, false flags and catches per kind, pooled over the seeds;
`--flags FILE` writes every flag of every try (sample, planted kind or clean, reason).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

from synthloop.evals.bench_verify import prepare
from synthloop.tools.config import CropVerifyConfig
from synthloop.tools.generate.procedural.faults import KINDS, PlantedFault
from synthloop.tools.offline import apply_offline_defaults
from synthloop.tools.quality.crops import ObjectCropVerifier
from synthloop.tools.quality.disagreement import DisagreementConfig
from synthloop.tools.quality.heldout import HeldOutModelVerifier
from synthloop.tools.store import Workspace


class _Recording(ObjectCropVerifier):
    """Keeps the arguments of its judging step, to judge them again under other settings."""

    def _judge(self, *args, **kwargs):
        self.recorded = (args, kwargs)
        return super()._judge(*args, **kwargs)

    def judge_again(self, config: CropVerifyConfig):
        self.config = config
        args, kwargs = self.recorded
        return super()._judge(*args, **kwargs)


JUDGING = {"threshold", "other_threshold", "occluded_cut", "occluded_factor", "scan", "stride",
           "extra_threshold", "confirm", "reframe", "reframe_from", "label_iou", "part_only",
           "shape_slack", "peer_sizes", "peer_slack", "peer_reframe", "worn_context"}
"""The settings that act only after training and the detector's proposals (`_judge`)."""


def _digest(cfg: CropVerifyConfig) -> str:
    """A key of the settings that shape training and prediction (not the JUDGING ones)."""
    fit = {k: v for k, v in cfg.model_dump().items() if k not in JUDGING}
    return hashlib.sha256(json.dumps(fit, sort_keys=True).encode()).hexdigest()[:12]


def _fitted(ws, policy, state, samples, previous, cfg, cache: Path) -> _Recording:
    """A verifier that has trained and judged once under `cfg`; what it judged from is kept
    in `cache` (a pickle this script wrote: the crop model, probabilities, the detector's
    proposals) and read back on the next run with the same fit settings."""
    v = _Recording(cfg, reference=previous)
    if cache.exists():
        kept = pickle.loads(cache.read_bytes())
        args = (ws, *kept["args"][1:])
        v.recorded, v.parts, v.reference = (args, kept["kwargs"]), kept["parts"], kept["reference"]
        return v
    v.detector = HeldOutModelVerifier.from_run(ws, ws.get_train_run(state["base_run"]),
                                               config=DisagreementConfig())
    t0 = time.perf_counter()
    v.verify_batch(ws, policy, samples)
    print(f"# trained and judged in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    args, kwargs = v.recorded
    cache.write_bytes(pickle.dumps({"args": (None, *args[1:]), "kwargs": kwargs,
                                    "parts": v.parts, "reference": v.reference}))
    return v


def _kv(text: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in text.split(",") if kv.strip())


def _score(verdicts, truth: dict[str, PlantedFault]) -> dict:
    flagged = {v.sample_id for v in verdicts if v.verdict == "suspect"}
    return {"planted": Counter(p.kind for p in truth.values()),
            "caught": Counter(p.kind for sid, p in truth.items() if sid in flagged),
            "flagged": len(flagged), "false": len(flagged - set(truth))}


def sweep(args) -> list[dict]:
    fit_cfg = CropVerifyConfig.model_validate(_kv(",".join(args.fit)))
    tries = []
    for t in args.tries:
        name, _, rest = t.partition(":")
        tries.append((name, CropVerifyConfig.model_validate({**fit_cfg.model_dump(),
                                                             **_kv(rest)})))
    pooled = {name: [] for name, _ in tries}
    flags = []
    for seed in args.seeds:
        base = args.workdir / f"ws{seed}"
        state = prepare(base, seed, args)
        truth = {sid: PlantedFault.model_validate(p) for sid, p in state["truth"].items()}
        with Workspace.open(base, write=True) as ws:
            policy = ws.get_policy(state["policy_version"])
            judged, seen = set(state["judged"]), set(state["seen"])
            samples = [s for s in ws.iter_samples(split="train") if s.id in judged]
            previous = [s for s in ws.iter_samples(split="train") if s.id in seen]
            v = _fitted(ws, policy, state, samples, previous, fit_cfg,
                        args.workdir / f"sweep{seed}-{_digest(fit_cfg)}.pkl")
            for name, cfg in tries:
                verdicts = v.judge_again(cfg)
                pooled[name].append(_score(verdicts, truth))
                for x in verdicts:
                    if x.verdict == "suspect":
                        flags.append({"try": name, "seed": seed, "sample": x.sample_id,
                                      "planted": truth[x.sample_id].kind
                                      if x.sample_id in truth else None,
                                      "reason": x.reason,
                                      "objects": [o.model_dump() for o in x.objects]})
    rows = []
    for name, _ in tries:
        rs = pooled[name]
        planted = sum((r["planted"] for r in rs), Counter())
        caught = sum((r["caught"] for r in rs), Counter())
        flagged, false = sum(r["flagged"] for r in rs), sum(r["false"] for r in rs)
        n, c = sum(planted.values()), sum(caught.values())
        rows.append({"try": name, "recall": c / n if n else None,
                     "precision": (flagged - false) / flagged if flagged else None,
                     "flagged": flagged, "false": false,
                     "per_seed_false": [r["false"] for r in rs],
                     "caught": {k: f"{caught.get(k, 0)}/{planted.get(k, 0)}" for k in KINDS}})
    if args.flags:
        args.flags.write_text(json.dumps(flags, indent=0))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--try", dest="tries", action="append", default=[],
                    metavar="NAME:KEY=V,KEY=V", help="a judging setting to compare (repeatable)")
    ap.add_argument("--fit", action="append", default=[], metavar="KEY=V",
                    help="a setting for training and prediction, shared by every try")
    ap.add_argument("--flags", type=Path, default=None)
    # the data settings of bench_verify's documented crop command (what --workdir holds)
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--test", type=int, default=100)
    ap.add_argument("--fraction", type=float, default=0.05)
    ap.add_argument("--extra-placement", default="grounded")
    ap.add_argument("--mode", default="heldout")
    ap.add_argument("--new", type=int, default=200)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--train-size", type=int, default=160)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    args.tries = args.tries or ["defaults:"]
    apply_offline_defaults()
    for row in sweep(args):
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
