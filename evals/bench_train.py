"""Benchmark training and evaluation speed on procedural images (CPU by default).

    .venv/bin/python -m synthloop.evals.bench_train                     # 500 train images, imgsz 160 and 320
    .venv/bin/python -m synthloop.evals.bench_train --images 100 --imgsz 160 --epochs 2   # a quick look

Prints one JSON line per measurement:
  {"bench": "train_epoch", "imgsz": 160, ...}   seconds per epoch (train + validation), the
      median over the epochs, each timed from its start (model set-up excluded)
  {"bench": "evaluate", "imgsz": 160, ...}      evaluation of the holdout: images/s of the
      prediction pass alone, and of the whole evaluate_model call (predictions, mAP
      validation, report building and storing)
Load and core count are printed too: on a shared machine they explain most variance. The
model is the default yolov8n.yaml from scratch; the images are the example PPE policy's
procedural scenes at 320×320.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from synthloop.tools.config import GeneratorConfig, TrainingConfig
from synthloop.tools.dataset import build_dataset_version
from synthloop.tools.design import expand_specs, load_example_policy
from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.evaluate.predict import predict_samples
from synthloop.tools.generate.runner import generate_samples, make_generator
from synthloop.tools.offline import apply_offline_defaults
from synthloop.tools.store import Workspace
from synthloop.tools.train import load_model, resolve_device, train_model
from synthloop.tools.train.yolo import ultralytics_to_log


def _emit(**row) -> None:
    row["load_1m"] = round(os.getloadavg()[0], 2)
    row["cpus"] = os.cpu_count()
    print(json.dumps(row), flush=True)


def _make_dataset(ws: Workspace, n_train: int, n_val: int, n_test: int, size: int):
    policy = ws.save_policy(load_example_policy("ppe"))
    specs = [*expand_specs(policy, n_train, seed=11, split="train"),
             *expand_specs(policy, n_val, seed=12, split="val"),
             *expand_specs(policy, n_test, seed=13, split="test")]
    gen = make_generator(GeneratorConfig(width=size, height=size))
    try:
        t0 = time.perf_counter()
        res = generate_samples(ws, policy, specs, gen, progress=False)
        print(f"# generated {res.generated} images in {time.perf_counter() - t0:.1f} s", flush=True)
    finally:
        gen.close()
    return build_dataset_version(ws, policy)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=500, help="training images")
    ap.add_argument("--val", type=int, default=50, help="validation images")
    ap.add_argument("--test", type=int, default=120, help="holdout images to evaluate")
    ap.add_argument("--imgsz", type=int, nargs="+", default=[160, 320])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workspace", type=Path, default=None, help="default: a temporary folder")
    args = ap.parse_args(argv)
    apply_offline_defaults()
    tmp = None
    if args.workspace is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-train-")
        args.workspace = Path(tmp.name) / "ws"
    with Workspace.init(args.workspace) as ws:
        ds = _make_dataset(ws, args.images, args.val, args.test, 320)
        for imgsz in args.imgsz:
            cfg = TrainingConfig(epochs=args.epochs, imgsz=imgsz, batch=args.batch,
                                 device=args.device, workers=0, seed=imgsz)
            t0 = time.perf_counter()
            run = train_model(ws, ds, cfg, progress=False)
            total = time.perf_counter() - t0
            per_epoch = [e["time_s"] for e in run.epochs]
            _emit(bench="train_epoch", imgsz=imgsz, images=ds.count("train"),
                  val_images=ds.count("val"), epochs=len(per_epoch), batch=args.batch,
                  device=args.device, s_per_epoch=round(statistics.median(per_epoch), 2),
                  epoch_times=per_epoch, total_s=round(total, 1))
            samples = ws.get_samples(ds.splits["test"])
            with ultralytics_to_log(ws.log_path, ws_root=ws.root):
                model = load_model(ws.root, str(ws.root / run.weights), ds.task)
                _, predict_rate = predict_samples(model, ws.root, samples, conf=0.25, imgsz=imgsz,
                                                  device=resolve_device(args.device),
                                                  batch=args.batch, progress=False)
            t0 = time.perf_counter()
            evaluate_model(ws, run, dataset=ds, progress=False)
            eval_s = time.perf_counter() - t0
            _emit(bench="evaluate", imgsz=imgsz, images=len(samples), device=args.device,
                  predict_images_per_s=round(predict_rate, 1),
                  evaluate_images_per_s=round(len(samples) / eval_s, 1),
                  evaluate_s=round(eval_s, 2))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
