"""Generation speed: images per second, median of several runs, one JSON line per case.

    python -m synthloop.evals.bench_generate                       # every case, 1 and 2 workers
    python -m synthloop.evals.bench_generate --cases procedural_raw --workers 2 --n 1200 --repeats 5

Cases:
    procedural_raw     the generator alone: render + encode PNG (+ nothing else)
    procedural_runner  generate_samples into a fresh temporary workspace with the default
                       filters: the generator plus storing files and rows, phash, progress off

Specs come from the built-in PPE example policy (tools.design), so every run renders the
same mix of lighting, weather, occlusion and distance. Worker start-up is warmed up before
timing. The machine's 1-minute load average is printed with each line: on a shared machine
it says how much of the CPU the benchmark really had.

Adding a case: write `def my_case(params: Params) -> Timing` and register it with
`@bench_case("name")`; `workers` lists the worker counts it is run with.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Params:
    n: int
    width: int
    height: int
    workers: int
    seed: int


@dataclass
class Timing:
    images: int
    seconds: float
    cpu_seconds: float | None = None  # this process and its worker processes
    extra: dict | None = None


def cpu_seconds() -> float | None:
    """CPU time used so far by this process and every live descendant (the workers)."""
    try:
        import psutil
    except ImportError:
        return None
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:  # ended, a zombie, or not ours to read
            pass
    return total


def _timed(images: int, t0: float, c0: float | None, extra: dict | None = None) -> Timing:
    c1 = cpu_seconds()
    return Timing(images, time.perf_counter() - t0, None if c0 is None else c1 - c0, extra)


CASES: dict[str, tuple[Callable[[Params], Timing], tuple[int, ...]]] = {}


def bench_case(name: str, workers: tuple[int, ...] = (1, 2)):
    """Register a benchmark case run once per worker count."""
    def register(fn: Callable[[Params], Timing]) -> Callable[[Params], Timing]:
        CASES[name] = (fn, workers)
        return fn
    return register


def _policy_and_specs(n: int, seed: int):
    from synthloop.tools.design import expand_specs, load_example_policy

    policy = load_example_policy("ppe").model_copy(update={"version": 1})
    return policy, list(expand_specs(policy, n, seed=seed))


@bench_case("procedural_raw")
def procedural_raw(p: Params) -> Timing:
    from synthloop.tools.generate.procedural import ProceduralGenerator

    policy, specs = _policy_and_specs(p.n, p.seed)
    _, warm = _policy_and_specs(32, p.seed + 10_000)
    with ProceduralGenerator(p.width, p.height, workers=p.workers) as gen:
        for _ in gen.generate(warm, policy):
            pass
        t0, c0 = time.perf_counter(), cpu_seconds()
        count = sum(1 for _ in gen.generate(specs, policy))
        return _timed(count, t0, c0)


@bench_case("procedural_runner")
def procedural_runner(p: Params) -> Timing:
    from synthloop.tools.generate.procedural import ProceduralGenerator
    from synthloop.tools.generate.runner import generate_samples
    from synthloop.tools.quality import default_filters
    from synthloop.tools.store import Workspace

    policy, specs = _policy_and_specs(p.n, p.seed)
    _, warm = _policy_and_specs(32, p.seed + 10_000)
    with tempfile.TemporaryDirectory() as tmp, Workspace.init(os.path.join(tmp, "ws")) as ws:
        policy = ws.save_policy(policy)
        with ProceduralGenerator(p.width, p.height, workers=p.workers) as gen:
            generate_samples(ws, policy, warm, gen, progress=False, filters=default_filters())
            t0, c0 = time.perf_counter(), cpu_seconds()
            result = generate_samples(ws, policy, specs, gen, progress=False, filters=default_filters())
            return _timed(result.generated, t0, c0,
                          {"dropped": result.dropped, "failed": len(result.failed)})


def run_case(name: str, workers: int, args: argparse.Namespace) -> dict:
    fn, _ = CASES[name]
    rates, cpu_ms, runs = [], [], []
    for r in range(args.repeats):
        t = fn(Params(args.n, args.width, args.height, workers, args.seed + r))
        rates.append(t.images / t.seconds if t.seconds > 0 else 0.0)
        if t.cpu_seconds is not None and t.images:
            cpu_ms.append(1000 * t.cpu_seconds / t.images)
        runs.append({"images": t.images, "seconds": round(t.seconds, 3), **(t.extra or {})})
    return {"bench": "generate", "case": name, "workers": workers, "width": args.width,
            "height": args.height, "n": args.n, "repeats": args.repeats,
            "images_per_s_median": round(statistics.median(rates), 1),
            "images_per_s_runs": [round(x, 1) for x in rates],
            # CPU per image, all processes: on a shared machine the wall-clock rate above
            # depends on what else runs; this does not (much)
            "cpu_ms_per_image_median": round(statistics.median(cpu_ms), 2) if cpu_ms else None,
            "runs": runs,
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=None, help=f"any of {', '.join(CASES)}")
    ap.add_argument("--workers", type=int, nargs="*", default=None, help="override worker counts")
    ap.add_argument("--n", type=int, default=600, help="images per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=320)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    unknown = set(args.cases or []) - set(CASES)
    if unknown:
        ap.error(f"unknown case(s) {sorted(unknown)}; known: {', '.join(CASES)}")
    for name in args.cases or list(CASES):
        for workers in args.workers or CASES[name][1]:
            print(json.dumps(run_case(name, workers, args)), flush=True)
    return 0


# -- diffusion (added by the diffusers generator's author) -------------------------------------
_TINY: dict[str, str] = {}


@bench_case("tiny_diffusers", workers=(1, 2))
def tiny_diffusers(p: Params) -> Timing:
    """A tiny random Stable Diffusion pipeline (tests/support/tiny_pipelines.py, so this
    case runs from a source checkout only) through
    DiffusersGenerator on the CPU: 64x64, 20 steps, batches of 4, at most 32 images a run
    (it ignores --width/--height; `workers` is torch's thread count). It measures the
    plumbing (text encoder, scheduler loop, VAE decode, PNG), not a real model's speed."""
    import torch

    from synthloop.tools.config import GeneratorConfig
    from synthloop.tools.generate.diffusion import DiffusersGenerator
    try:
        from tests.support.tiny_pipelines import build_tiny_sd
    except ImportError as e:
        raise SystemExit("the tiny_diffusers case builds its pipeline with the test helpers: "
                         "run it from a source checkout (python -m synthloop.evals.bench_generate)") from e
    from synthloop.tools.models import GenerationSpec, Policy

    if "sd" not in _TINY:
        _TINY["sd"] = str(build_tiny_sd(os.path.join(tempfile.mkdtemp(), "tiny-sd")))
    torch.set_num_threads(p.workers)
    n, steps, batch = min(p.n, 32), 20, 4
    gen = DiffusersGenerator(GeneratorConfig(name="diffusers", model=_TINY["sd"], width=64,
                                             height=64, steps=steps, batch_size=batch, device="cpu"))
    policy = Policy(title="bench", task="classification")
    specs = [GenerationSpec(policy_version=1, scenario_id="bench", prompt="a worker with a hard hat",
                            seed=p.seed * 1000 + i) for i in range(n)]
    try:
        for _ in gen.generate(specs[:batch], policy):  # warm-up: load + first call
            pass
        t0, c0 = time.perf_counter(), cpu_seconds()
        count = sum(1 for _ in gen.generate(specs, policy))
        return _timed(count, t0, c0, {"size": 64, "steps": steps, "batch": batch,
                                      "torch_threads": p.workers})
    finally:
        gen.close()


if __name__ == "__main__":  # the guard also keeps worker processes from re-running main
    sys.exit(main())
