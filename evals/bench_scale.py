"""Generation at scale: the local runner against the Ray engine with 1 and 2 workers.

    python -m synthloop.evals.bench_scale                  # 400 images a run, 3 repeats, 320 px
    python -m synthloop.evals.bench_scale --n 120 --repeats 3 --width 96 --height 96   # smoke size

Every case is the product's path: `generate_samples` into a fresh temporary workspace with
the default quality filters, progress off, specs from the built-in PPE example policy (the
same specs in every case; each repeat uses another seed).

    local-1     the local engine, the procedural generator rendering in this process
    local-2     the local engine with its own 2 worker processes (today's default here)
    ray-1       the Ray engine, 1 actor (this process is the driver: it only stores)
    ray-2       the Ray engine, 2 actors

A local Ray (2 CPUs, no dashboard) is started once; each Ray case builds its actor pool and
warms it up on a few images before timing (pool start-up is reported apart). Figures per
case: images/s (median of the repeats), the driver's CPU time per image (this process:
unpickling the results, writing files and rows; for local-1 it includes the rendering), the
CPU time per image of every process (this one and its descendants: pool workers, or Ray's
GCS, raylet, agents and actors; needs psutil), and the machine's 1-minute load average. Then: ray-2 / ray-1 (scaling) and
1 - ray-1 / local-1 (Ray's overhead at 1 worker).

It prints one JSON line and writes evals/results/scale.md and scale.json. On a shared
2-core machine, read the load average before the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from synthloop.evals.bench_generate import cpu_seconds

CASES = ("local-1", "local-2", "ray-1", "ray-2")


def _specs(n: int, seed: int):
    from synthloop.tools.design import expand_specs, load_example_policy

    policy = load_example_policy("ppe").model_copy(update={"version": 1})
    return policy, list(expand_specs(policy, n, seed=seed))


def _engine(case: str, width: int, height: int, batch: int):
    from synthloop.tools.config import GenerationConfig, GeneratorConfig
    from synthloop.tools.generate.engines import make_engine

    kind, workers = case.split("-")
    gen_cfg = GeneratorConfig(width=width, height=height, workers=int(workers))
    if kind == "local":
        return make_engine(gen_cfg, GenerationConfig())
    return make_engine(gen_cfg, GenerationConfig(engine="ray", ray_workers=int(workers),
                                                 ray_batch_size=batch))


def all_cpu_seconds() -> float | None:
    """CPU time of this process and every descendant: the local pool's workers, and for a
    local Ray its GCS, raylet, agents and actors (all started by this process)."""
    return cpu_seconds()


def run_once(gen, n: int, seed: int) -> dict:
    """One timed generate_samples call into a fresh workspace."""
    from synthloop.tools.generate.runner import generate_samples
    from synthloop.tools.quality import default_filters
    from synthloop.tools.store import Workspace

    policy, specs = _specs(n, seed)
    with tempfile.TemporaryDirectory() as tmp, Workspace.init(os.path.join(tmp, "ws")) as ws:
        policy = ws.save_policy(policy)
        a0, c0, t0 = all_cpu_seconds(), time.process_time(), time.perf_counter()
        r = generate_samples(ws, policy, specs, gen, progress=False, filters=default_filters())
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        a1 = all_cpu_seconds()
        png = sum(p.stat().st_size for p in (Path(ws.root) / "files").rglob("*") if p.is_file())
    return {"images": r.generated, "seconds": round(wall, 3),
            "images_per_s": round(r.generated / wall, 2) if wall > 0 else 0.0,
            "driver_cpu_ms_per_image": round(1000 * cpu / max(1, r.generated), 2),
            "all_cpu_ms_per_image": (None if a0 is None or a1 is None
                                     else round(1000 * (a1 - a0) / max(1, r.generated), 2)),
            "png_kb_per_image": round(png / 1024 / max(1, r.generated), 1),
            "dropped": r.dropped, "failed": len(r.failed)}


def run_case(case: str, args: argparse.Namespace) -> dict:
    load = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    gen = _engine(case, args.width, args.height, args.batch)
    try:
        run_once(gen, 16, args.seed + 999)  # warm-up: workers started, imports done
        startup = time.perf_counter() - t0
        runs = [run_once(gen, args.n, args.seed + r) for r in range(args.repeats)]
    finally:
        gen.close()
    med = statistics.median
    return {"case": case, "load_avg_1m_at_start": load,
            "startup_s": round(startup, 2),
            "images_per_s_median": round(med(r["images_per_s"] for r in runs), 1),
            "images_per_s_runs": [r["images_per_s"] for r in runs],
            "driver_cpu_ms_per_image_median": round(med(r["driver_cpu_ms_per_image"] for r in runs), 2),
            "all_cpu_ms_per_image_median": (round(med(r["all_cpu_ms_per_image"] for r in runs), 2)
                                            if runs[0]["all_cpu_ms_per_image"] is not None else None),
            "png_kb_per_image": runs[0]["png_kb_per_image"], "runs": runs}


def markdown(result: dict) -> str:
    s = result["summary"]
    lines = [
        "# Generation at scale: local runner vs Ray engine (`evals/bench_scale.py`)", "",
        f"Procedural generator, {result['width']}x{result['height']}, {result['n']} images a run, "
        f"median of {result['repeats']} repeats, default filters, fresh workspace per run. "
        f"{result['cpus']} CPUs; 1-minute load average {result['load_avg_1m_at_start']} at the "
        f"start{' (a busy, shared machine: figures are rough)' if result['load_avg_1m_at_start'] > 1.5 else ''}. "
        f"Ray {result['ray_version']}; local Ray started in {result['ray_init_s']} s.", "",
        "| case | images/s (median) | runs | driver CPU ms/image | all CPU ms/image | pool start-up s | load at start |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for c in result["cases"]:
        lines.append(f"| {c['case']} | {c['images_per_s_median']} | "
                     f"{', '.join(str(x) for x in c['images_per_s_runs'])} | "
                     f"{c['driver_cpu_ms_per_image_median']} | {c['all_cpu_ms_per_image_median']} | "
                     f"{c['startup_s']} | "
                     f"{c['load_avg_1m_at_start']} |")
    lines += ["",
              f"- Ray scaling, 2 workers / 1 worker: **{s['ray_scaling_2_over_1']}x** (target >= 1.7x)",
              f"- Ray overhead at 1 worker, 1 - ray-1 / local-1: **{s['ray_overhead_at_1_worker_pct']} %** "
              "(target <= 15 %; negative = Ray faster: its driver stores while the actor renders)",
              f"- Driver CPU per image with Ray (storing only): {s['driver_cpu_ms_per_image_ray']} ms "
              f"(so one driver keeps up with about {s['driver_images_per_s_limit']} images/s)",
              f"- Rendering CPU per image, local-1 driver CPU minus Ray's: {s['render_cpu_ms_per_image']} ms",
              f"- CPU per image, every process (driver, workers, Ray's own): local-1 "
              f"{s['all_cpu_ms_per_image_local_1']} ms, ray-1 {s['all_cpu_ms_per_image_ray_1']} ms: "
              f"Ray costs **{s['ray_cpu_overhead_pct']} %** more CPU per image (a figure the "
              "machine's load moves less than images/s)",
              f"- PNG size: {s['png_kb_per_image']} KB per image",
              f"- Wall time of the benchmark: {result['wall_s']} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400, help="images per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=320)
    ap.add_argument("--batch", type=int, default=16, help="generation.ray_batch_size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", nargs="*", default=list(CASES), choices=CASES)
    ap.add_argument("--out", type=Path, default=None, help="results folder (default evals/results)")
    ap.add_argument("--no-write", action="store_true", help="print the JSON line only")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    from synthloop.tools.offline import apply_offline_defaults

    apply_offline_defaults()
    logging.basicConfig(level=logging.WARNING)
    import ray

    started = time.perf_counter()
    load = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,  # as the engine starts it
             _node_ip_address="127.0.0.1", logging_level="WARNING",
             _system_config={"worker_niceness": 0})
    ray_init = round(time.perf_counter() - t0, 1)
    try:
        cases = [run_case(c, args) for c in args.cases]
    finally:
        ray.shutdown()
    by = {c["case"]: c for c in cases}

    def rate(name):
        return by[name]["images_per_s_median"] if name in by else None

    def cpu(name):
        return by[name]["driver_cpu_ms_per_image_median"] if name in by else None

    def allcpu(name):
        return by[name]["all_cpu_ms_per_image_median"] if name in by else None

    summary = {
        "ray_scaling_2_over_1": round(rate("ray-2") / rate("ray-1"), 2) if rate("ray-1") and rate("ray-2") else None,
        "ray_overhead_at_1_worker_pct": (round(100 * (1 - rate("ray-1") / rate("local-1")), 1)
                                         if rate("ray-1") and rate("local-1") else None),
        "driver_cpu_ms_per_image_ray": cpu("ray-1") or cpu("ray-2"),
        "driver_images_per_s_limit": (round(1000 / (cpu("ray-1") or cpu("ray-2")))
                                      if (cpu("ray-1") or cpu("ray-2")) else None),
        "render_cpu_ms_per_image": (round(cpu("local-1") - cpu("ray-1"), 2)
                                    if cpu("local-1") and cpu("ray-1") else None),
        "png_kb_per_image": cases[0]["png_kb_per_image"],
        "all_cpu_ms_per_image_local_1": allcpu("local-1"),
        "all_cpu_ms_per_image_ray_1": allcpu("ray-1"),
        "ray_cpu_overhead_pct": (round(100 * (allcpu("ray-1") / allcpu("local-1") - 1), 1)
                                 if allcpu("ray-1") and allcpu("local-1") else None),
    }
    result = {"bench": "scale", "width": args.width, "height": args.height, "n": args.n,
              "repeats": args.repeats, "batch": args.batch,
              "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
              "load_avg_1m_at_start": load, "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
              "ray_version": ray.__version__, "ray_init_s": ray_init,
              "wall_s": round(time.perf_counter() - started, 1),
              "summary": summary, "cases": cases}
    print(json.dumps({k: v for k, v in result.items() if k != "cases"}
                     | {"images_per_s": {c["case"]: c["images_per_s_median"] for c in cases}}),
          flush=True)
    if not args.no_write:
        from .results_io import default_results_folder, write_table_and_json

        md, js = write_table_and_json(result, markdown(result), args.out or default_results_folder(),
                                      "scale")
        print(f"wrote {md} and {js}")
    return 0


if __name__ == "__main__":  # the guard also keeps worker processes from re-running main
    raise SystemExit(main())
