"""Benchmark label verification: planted label faults, the model-disagreement verifier, CPU.

    .venv/bin/python -m synthloop.evals.bench_verify                 # 3 seeds, 5 % per kind
    .venv/bin/python -m synthloop.evals.bench_verify --quick         # 1 seed, small, a look

Per seed: the example PPE policy's procedural training images with label faults planted in
5 % of images per kind (missing object, swapped look, shifted box, unlabelled extra), a
clean synthetic holdout, then `verify_samples` with the model-disagreement verifier (K
out-of-fold YOLO models + cleanlab) quarantines what it flags. Measured: recall per fault
kind and overall; precision overall, and per kind as TP_k / (TP_k + false flags on clean
images), i.e. the precision had only that kind been planted; whether the flagged object is
the planted one; then mAP50 on the clean holdout of a model trained with vs without the
quarantine (the difference over seeds with its spread). Prints one JSON line and writes
evals/results/verify.md and verify.json. Times are per image, to compare the verifier's
cost with generation and training.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from synthloop.evals.results_io import default_results_folder, write_table_and_json
from synthloop.tools.config import CropVerifyConfig, TrainingConfig
from synthloop.tools.dataset import build_dataset_version
from synthloop.tools.design import expand_specs, load_example_policy
from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.generate.procedural import FaultPlan, ProceduralGenerator
from synthloop.tools.generate.procedural.faults import KINDS, PlantedFault
from synthloop.tools.generate.runner import generate_samples
from synthloop.tools.offline import apply_offline_defaults
from synthloop.tools.quality.crops import ObjectCropVerifier
from synthloop.tools.quality.disagreement import DisagreementConfig, ModelDisagreementVerifier
from synthloop.tools.quality.heldout import HeldOutModelVerifier
from synthloop.tools.quality.run import verify_samples
from synthloop.tools.store import Workspace
from synthloop.tools.train import train_model

PREPARED = ("images", "test", "fraction", "extra_placement", "mode", "new", "size",
            "train_size", "epochs", "workers")
"""The settings that shape a seed's data and previous-iteration model (what --workdir reuses)."""


def prepare(base: Path, seed: int, args) -> dict:
    """Generate a seed's images (faults planted), and in heldout mode train the previous
    iteration's model and generate the new images. Returns the state the judging needs;
    with --workdir it is kept beside the workspace and reused when the settings match."""
    state_path = base.parent / f"state{seed}.json"
    wanted = {k: getattr(args, k) for k in PREPARED}
    if state_path.exists():
        state = json.loads(state_path.read_text())
        if state["settings"] != wanted:
            raise SystemExit(f"bench_verify: {base} holds seed {seed} prepared with other "
                             f"settings {state['settings']}; use another --workdir")
        return state
    if base.exists():
        raise SystemExit(f"bench_verify: {base} was left half prepared (no {state_path.name}); "
                         "remove it or use another --workdir")
    with Workspace.init(base) as ws:
        policy = ws.save_policy(load_example_policy("ppe"))
        train_specs = expand_specs(policy, args.images, seed=100 + seed, split="train")
        test_specs = expand_specs(policy, args.test, seed=200 + seed, split="test")
        gen = ProceduralGenerator(args.size, args.size, workers=args.workers,
                                  faults=FaultPlan(fraction=args.fraction, seed=seed,
                                                   extra_placement=args.extra_placement))
        t0 = time.perf_counter()
        try:
            generate_samples(ws, policy, train_specs, gen, progress=False)
        finally:
            gen.close()
        gen_s = time.perf_counter() - t0
        with ProceduralGenerator(args.size, args.size, workers=args.workers) as clean:
            generate_samples(ws, policy, test_specs, clean, progress=False)
        loop_train_s, base_run_id, seen = 0.0, None, set()
        if args.mode == "heldout":
            # the loop's case: the model of the last iteration judges the next one's images
            base_ds = build_dataset_version(ws, policy, note="bench: the previous iteration")
            t0 = time.perf_counter()
            base_run_id = train_model(ws, base_ds, _training(args, seed), progress=False).id
            loop_train_s = time.perf_counter() - t0
            seen = {s.id for s in ws.iter_samples(split="train")}
            new_specs = expand_specs(policy, args.new, seed=300 + seed, split="train")
            gen = ProceduralGenerator(args.size, args.size, workers=args.workers,
                                      faults=FaultPlan(fraction=args.fraction, seed=1000 + seed,
                                                       extra_placement=args.extra_placement))
            try:
                generate_samples(ws, policy, new_specs, gen, progress=False)
            finally:
                gen.close()
        train = [s for s in ws.iter_samples(split="train") if s.id not in seen]
        truth = {s.id: gen.planted[s.spec_id].model_dump() for s in train
                 if s.spec_id in gen.planted}
    state = {"settings": wanted, "policy_version": policy.version, "base_run": base_run_id,
             "seen": sorted(seen), "judged": [s.id for s in train], "truth": truth,
             "gen_s": gen_s, "loop_train_s": loop_train_s}
    if args.workdir:
        state_path.write_text(json.dumps(state))
    return state


def _training(args, seed: int) -> TrainingConfig:
    return TrainingConfig(epochs=args.epochs, imgsz=args.train_size or args.size, batch=16,
                          nominal_batch=16, device="cpu", workers=0, seed=seed)


def one_seed(root: Path, seed: int, args) -> dict:
    base = (args.workdir or root) / f"ws{seed}"
    state = prepare(base, seed, args)
    where = base
    if args.workdir:  # judge a copy: the kept workspace stays as prepared (no quarantine)
        where = root / f"ws{seed}"
        shutil.copytree(base, where)
    with Workspace.open(where, write=True) as ws:
        policy = ws.get_policy(state["policy_version"])
        cfg = _training(args, seed)
        gen_s, loop_train_s = state["gen_s"], state["loop_train_s"]
        judged = set(state["judged"])
        train = [s for s in ws.iter_samples(split="train") if s.id in judged]
        truth = {sid: PlantedFault.model_validate(p) for sid, p in state["truth"].items()}
        if args.mode == "heldout":
            verifier = HeldOutModelVerifier.from_run(ws, ws.get_train_run(state["base_run"]),
                                                     config=DisagreementConfig())
            if args.verifier == "crops":  # crop classifier on the previous images + detector
                seen = set(state["seen"])
                previous = [s for s in ws.iter_samples(split="train") if s.id in seen]
                verifier = ObjectCropVerifier(args.crop_config, reference=previous,
                                              detector=verifier)
        elif args.verifier == "crops":
            verifier = ObjectCropVerifier(args.crop_config.model_copy(update={"folds": args.folds}))
        else:
            verifier = ModelDisagreementVerifier(cfg, DisagreementConfig(folds=args.folds))
        t0 = time.perf_counter()
        rep = verify_samples(ws, policy, train, [verifier])
        verify_s = time.perf_counter() - t0
        flagged = set(rep.quarantined)
        by_id = {v.sample_id: v for v in rep.verdicts}
        by_cleanlab = Counter(p.kind for sid, p in truth.items() if sid in verifier.by_cleanlab)
        kinds = Counter(p.kind for p in truth.values())
        caught = Counter(p.kind for sid, p in truth.items() if sid in flagged)
        located = Counter(p.kind for sid, p in truth.items() if sid in flagged
                          and _located(by_id[sid], p))
        false_flags = len(flagged - set(truth))
        print(f"# seed {seed}: {len(train)} images, planted {dict(kinds)}, caught {dict(caught)}, "
              f"flagged {len(flagged)} ({false_flags} clean), verify {verify_s:.0f} s, "
              f"{verifier.seconds}", file=sys.stderr, flush=True)
        maps, train_s = {"without": None, "with": None}, {"without": 0.0}
        for arm, excl in (("without", False), ("with", True)) if args.final_epochs else ():
            ds = build_dataset_version(ws, policy, exclude_quarantined=excl, note=f"bench {arm}")
            t0 = time.perf_counter()
            run = train_model(ws, ds, cfg.model_copy(update={"epochs": args.final_epochs}),
                              progress=False)
            train_s[arm] = time.perf_counter() - t0
            maps[arm] = evaluate_model(ws, run, dataset=ds, progress=False).overall.get("map50")
        ranked = sorted(((by_id[t.id].score, truth[t.id].kind if t.id in truth else None)
                         for t in train), key=lambda x: x[0])
        return {"seed": seed, "images": len(train), "ranked": ranked, "planted": dict(kinds), "caught": dict(caught),
                "caught_by_cleanlab_alone": dict(by_cleanlab),
                "cleanlab_alone_flagged": len(verifier.by_cleanlab),
                "cleanlab_alone_false": len(verifier.by_cleanlab - set(truth)),
                "located": dict(located), "flagged": len(flagged), "false_flags": false_flags,
                "clean_images": len(train) - len(truth), "map50": maps,
                "excluded": len(build_dataset_version(ws, policy).excluded),
                "s_per_image": {"generate": gen_s / len(train), "verify": verify_s / len(train),
                                "verify_train": verifier.seconds.get("train", 0) / len(train),
                                "loop_train": loop_train_s / len(train),
                                "verify_predict": verifier.seconds.get("predict", 0) / len(train),
                                "train_final": train_s["without"] / len(train)}}


def _located(verdict, planted) -> bool:
    """The verdict names the planted object: its label index, or for an extra object an
    unlabelled box overlapping the planted one."""
    for o in verdict.objects:
        if planted.kind == "extra" and o.index is None and o.box and planted.box:
            a, b = o.box, planted.box
            ix = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
            if ix > 0:
                return True
        elif o.index == planted.index:
            return True
    return False


def summarise(rows: list[dict], args) -> dict:
    tot = lambda key, k: sum(r[key].get(k, 0) for r in rows)  # noqa: E731
    ff, flagged = sum(r["false_flags"] for r in rows), sum(r["flagged"] for r in rows)
    per_kind = {}
    for k in KINDS:
        n, c = tot("planted", k), tot("caught", k)
        per_kind[k] = {"planted": n, "caught": c, "recall": c / n if n else None,
                       "precision": c / (c + ff) if c + ff else None,
                       "object_located": tot("located", k) / c if c else None,
                       "recall_cleanlab_alone": tot("caught_by_cleanlab_alone", k) / n if n else None}
    n_all = sum(v["planted"] for v in per_kind.values())
    c_all = sum(v["caught"] for v in per_kind.values())
    ranked = sorted((x for r in rows for x in r["ranked"]), key=lambda x: x[0])
    best = {"recall": 0.0, "precision": None, "threshold": None}
    tp = 0
    for i, (score, kind) in enumerate(ranked, 1):
        tp += kind is not None
        if tp / i >= 0.8 and tp / max(n_all, 1) > best["recall"]:
            best = {"recall": tp / n_all, "precision": tp / i, "threshold": score}
    diffs = [r["map50"]["with"] - r["map50"]["without"] for r in rows
             if r["map50"]["with"] is not None]
    spi = {k: statistics.mean(r["s_per_image"][k] for r in rows) for k in rows[0]["s_per_image"]}
    return {"bench": "verify", "seeds": [r["seed"] for r in rows], "images_per_seed": args.images,
            "fraction_per_kind": args.fraction, "extra_placement": args.extra_placement,
            "mode": args.mode, "new_images": args.new,
            "crop_overrides": args.crop_overrides,
            "folds": args.folds, "epochs": args.epochs,
            "final_epochs": args.final_epochs, "imgsz": args.size, "verifier": args.verifier,
            "train_imgsz": args.train_size or args.size,
            "recall": c_all / n_all if n_all else None,
            "precision": (flagged - ff) / flagged if flagged else None,
            "flagged": flagged, "false_flags": ff, "per_kind": per_kind,
            "oracle_threshold_at_80_precision": best,
            "cleanlab_alone": {"flagged": sum(r["cleanlab_alone_flagged"] for r in rows),
                               "false_flags": sum(r["cleanlab_alone_false"] for r in rows)},
            "map50_without": [r["map50"]["without"] for r in rows],
            "map50_with": [r["map50"]["with"] for r in rows],
            "map50_diff_mean": statistics.mean(diffs) if diffs else None,
            "map50_diff_sd": statistics.stdev(diffs) if len(diffs) > 1 else None,
            "s_per_image": spi, "load_1m": round(os.getloadavg()[0], 2), "rows": rows}


def markdown(res: dict) -> str:
    f = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    how = (f"an object-crop classifier trained on {res['images_per_seed']} images (the "
           f"previous iteration) judges every label of {res['new_images']} new ones, and a "
           f"YOLO model trained {res['epochs']} epochs on the same images proposes unlabelled "
           "objects that the classifier confirms (the loop's verify step)"
           if res.get("verifier") == "crops" and res["mode"] == "heldout" else
           f"{res['folds']} out-of-fold object-crop classifiers judge every label of "
           f"{res['images_per_seed']} images and scan them for unlabelled objects"
           if res.get("verifier") == "crops" else
           f"a model trained {res['epochs']} epochs on {res['images_per_seed']} images (the "
           f"previous iteration) judges {res['new_images']} new ones (the loop's verify step)"
           if res["mode"] == "heldout" else
           f"{res['folds']} out-of-fold YOLO models × {res['epochs']} epochs judge "
           f"{res['images_per_seed']} images")
    title = "object crops" if res.get("verifier") == "crops" else "detector"
    lines = [f"# Label verification (model disagreement: {title}, cleanlab), seeds "
             f"{', '.join(map(str, res['seeds']))}", "",
             f"{res['fraction_per_kind']:.0%} planted per kind (extra objects placed "
             f"{res.get('extra_placement', 'anywhere')}); {how}; images "
             f"{res['imgsz']} px, YOLO imgsz {res.get('train_imgsz', res['imgsz'])} (CPU); final "
             f"models {res['final_epochs']} epochs. Load {res['load_1m']}."
             + (f" Crop settings changed from [verify.crops]: {res['crop_overrides']}."
                if res.get("crop_overrides") else ""), "",
             "| kind | planted | caught | recall | precision* | flagged object is the planted one "
             "| recall, cleanlab alone |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for k, v in res["per_kind"].items():
        lines.append(f"| {k} | {v['planted']} | {v['caught']} | {f(v['recall'])} | "
                     f"{f(v['precision'])} | {f(v['object_located'])} | "
                     f"{f(v['recall_cleanlab_alone'])} |")
    lines += [f"| **all** | {sum(v['planted'] for v in res['per_kind'].values())} | "
              f"{sum(v['caught'] for v in res['per_kind'].values())} | **{f(res['recall'])}** | "
              f"**{f(res['precision'])}** | | |", "",
              f"cleanlab's own decision alone flagged {res['cleanlab_alone']['flagged']} images "
              f"({res['cleanlab_alone']['false_flags']} of them clean); the rest of the catches "
              + ("come from its low self-confidence rule and the unlabelled objects it confirms "
                 "(tools/quality/crops.py)." if res.get("verifier") == "crops" else
                 "come from the unmatched-label rule (see tools/quality/disagreement.py)."), "",
              "*per kind: caught / (caught + flags on clean images), the precision had only that "
              f"kind been planted. False flags on clean images: {res['false_flags']} of "
              f"{res['flagged']} flagged.", "",
              "Ranking by cleanlab's image label-quality score instead of its own decision, with "
              "the threshold chosen afterwards on this data (an upper bound, not a deployable "
              f"rule): recall {f(res['oracle_threshold_at_80_precision']['recall'])} at precision "
              f"{f(res['oracle_threshold_at_80_precision']['precision'])}.", "",
              *_map_lines(res, f),
              "Seconds per judged image: " + ", ".join(
                  f"{k} {v:.3f}" for k, v in res["s_per_image"].items()) + "."]
    spi = res["s_per_image"]
    if res["mode"] == "heldout" and spi.get("loop_train"):
        lines.append(f"Verification took {spi['verify'] / spi['loop_train']:.1%} of the time of "
                     "the training it follows (the previous iteration's, which the loop runs anyway).")
    return "\n".join(lines)


def _map_lines(res: dict, f) -> list[str]:
    if res["map50_diff_mean"] is None:
        return ["mAP50 with and without the quarantine: not measured in this run "
                "(--final-epochs 0).", ""]
    have = [x for x in res["map50_without"] if x is not None]
    g = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    sd = res["map50_diff_sd"]
    return ["| mAP50 on the clean holdout | per seed | mean |", "| --- | --- | ---: |",
            f"| without quarantine | {', '.join(g(x) for x in res['map50_without'])} | "
            f"{g(statistics.mean(have))} |",
            f"| with quarantine | {', '.join(g(x) for x in res['map50_with'])} | "
            f"{g(statistics.mean(x for x in res['map50_with'] if x is not None))} |",
            f"| difference | | {res['map50_diff_mean']:+.3f} ± {g(sd)} (sd) |", ""]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--test", type=int, default=100)
    ap.add_argument("--fraction", type=float, default=0.05)
    ap.add_argument("--extra-placement", choices=("grounded", "anywhere"), default="grounded",
                    help="where the planted extra objects stand (anywhere: the first planter)")
    ap.add_argument("--mode", choices=("heldout", "folds"), default="heldout",
                    help="heldout: a model trained on --images judges --new images (the loop's "
                         "verify step); folds: K out-of-fold models judge --images")
    ap.add_argument("--new", type=int, default=200, help="heldout: new images judged")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--size", type=int, default=128, help="image size generated")
    ap.add_argument("--train-size", type=int, default=0, help="YOLO imgsz (0 = --size)")
    ap.add_argument("--verifier", choices=("detector", "crops"), default="detector",
                    help="detector: YOLO + cleanlab object detection (--mode); crops: the "
                         "object-crop classifier, K folds over --images")
    ap.add_argument("--final-epochs", type=int, default=15,
                    help="epochs of the with/without-quarantine models (0 = skip them)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="1 seed, 200 images, 6 epochs")
    ap.add_argument("--crop", action="append", default=[], metavar="KEY=VALUE",
                    help="a [verify.crops] setting for this run (repeatable), e.g. standardize=true")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep each seed's generated images and previous-iteration model here "
                         "and reuse them on the next run with the same data settings, to "
                         "compare verifier settings on the same data (judged on a copy)")
    args = ap.parse_args(argv)
    args.crop_overrides = dict(kv.split("=", 1) for kv in args.crop if "=" in kv)
    try:
        if len(args.crop_overrides) != len(args.crop):
            raise ValueError(f"--crop takes KEY=VALUE, got {args.crop}")
        args.crop_config = CropVerifyConfig.model_validate(args.crop_overrides)
    except ValueError as e:  # pydantic's ValidationError is a ValueError
        first = e.errors()[0] if hasattr(e, "errors") else {"loc": (), "msg": str(e)}
        ap.error(f"--crop {'.'.join(map(str, first['loc']))}: {first['msg']} "
                 f"(keys: {', '.join(CropVerifyConfig.model_fields)})")
    if args.quick:
        args.seeds, args.images, args.test, args.epochs, args.final_epochs = [0], 200, 50, 6, 6
    apply_offline_defaults()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        rows = [one_seed(Path(tmp), s, args) for s in args.seeds]
    res = summarise(rows, args)
    write_table_and_json(res, markdown(res), args.out or default_results_folder(), "verify")
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, default=str), flush=True)


if __name__ == "__main__":
    main()
