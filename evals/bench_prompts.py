"""Prompt-set expansion speed: specs per second for each strategy, median of several runs,
and the pairwise design's size against the full product. One JSON line per strategy.

    .venv/bin/python -m synthloop.evals.bench_prompts                  # 100,000 specs, 3 runs each
    .venv/bin/python -m synthloop.evals.bench_prompts --n 300000 --repeats 5 --strategies random

The policy is the built-in PPE example (9 scenarios, people wearing things, so every spec
gets a real layout) with its axes replaced by 6 axes of 6 values each, so the full product
of the axes is 6^6 = 46,656 (times 9 scenarios for scenario x axes). The specs are consumed
and dropped, as a caller streaming them into the store would. `specs_per_s` is wall time,
`cpu_specs_per_s` this process's CPU time: on a shared machine the second is the steadier
one, and the 1-minute load average printed with each line says how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from synthloop.tools.design import STRATEGIES, expand_specs, load_example_policy, pairwise_design
from synthloop.tools.design.pairwise import full_product_size
from synthloop.tools.models import AxisValue, Policy, VariableAxis

AXES = 6
VALUES = 6


def bench_policy() -> Policy:
    """The PPE example with 6 axes of 6 values (distance first, so scale varies)."""
    base = load_example_policy("ppe")
    names = ["distance", "lighting", "weather", "occlusion", "background", "skin_tone"]
    values = {"distance": ["very_near", "near", "mid", "far", "very_far", "aerial"]}
    axes = [VariableAxis(name=n, fairness=n == "skin_tone",
                         values=[AxisValue(value=v, weight=1.0 + 0.1 * j) for j, v in
                                 enumerate(values.get(n, [f"{n}_{j}" for j in range(VALUES)]))])
            for n in names[:AXES]]
    return Policy(**{**base.model_dump(), "axes": [a.model_dump() for a in axes]})


def run_once(policy: Policy, strategy: str, n: int, seed: int) -> tuple[float, float, int]:
    """(wall seconds, cpu seconds, specs made) for one expansion of `n` specs."""
    t0, c0 = time.perf_counter(), time.process_time()
    made = 0
    for _ in expand_specs(policy, n, strategy=strategy, seed=seed):
        made += 1
    return time.perf_counter() - t0, time.process_time() - c0, made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="specs per run")
    ap.add_argument("--repeats", type=int, default=3, help="runs per strategy (median)")
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    args = ap.parse_args(argv)
    policy = bench_policy()
    levels = [len(a.values) for a in policy.axes]
    t0 = time.perf_counter()
    axes_rows = len(pairwise_design(levels))
    design_s = time.perf_counter() - t0
    with_scenarios = [len(policy.scenarios), *levels]
    scen_rows = len(pairwise_design(with_scenarios))
    for strategy in args.strategies:
        runs = [run_once(policy, strategy, args.n, seed=r) for r in range(args.repeats)]
        wall = [m / w for w, _, m in runs]
        cpu = [m / c for _, c, m in runs if c > 0]
        print(json.dumps({
            "bench": "prompts", "strategy": strategy, "n": args.n, "repeats": args.repeats,
            "specs_per_s": round(statistics.median(wall)),
            "cpu_specs_per_s": round(statistics.median(cpu)) if cpu else None,
            "runs_specs_per_s": [round(x) for x in wall],
            "axes": len(levels), "values_per_axis": VALUES, "scenarios": len(policy.scenarios),
            "pairwise_rows_axes": axes_rows, "full_product_axes": full_product_size(levels),
            "pairwise_rows_scenario_x_axes": scen_rows,
            "full_product_scenario_x_axes": full_product_size(with_scenarios),
            "pairwise_design_s": round(design_s, 3),
            "load_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "python": sys.version.split()[0]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
