"""Wall time per stage of the demo loop, and LLM calls and tokens per iteration.

    python -m synthloop.evals.bench_loop [--workspace DIR] [--iterations 2] [--example ppe]

Runs the same loop as `synthloop demo` (embedded LLM unless one is configured, procedural
images, CPU training) in a fresh workspace (or --workspace DIR, a new run in it: its reply
cache replays what it already asked) and prints one JSON line: the stage split of
agent/stage_split.py (llm = time waiting for replies, by call with prompt tokens, tokens
taken from the KV cache and prompt seconds; generation; training; evaluation = evaluate +
analyse + verify; other), node seconds per iteration, the load, and the final metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--example", default=None, help="built-in policy instead of drafting")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    from synthloop.agent.demo import DEMO_GOAL, demo_settings
    from synthloop.agent.runner import start_run
    from synthloop.agent.services import open_services
    from synthloop.agent.stage_split import stage_split
    from synthloop.agent.state import history_rows
    from synthloop.tools.offline import apply_offline_defaults

    apply_offline_defaults()

    root = args.workspace or Path(tempfile.mkdtemp(prefix="bench-loop-")) / "ws"
    sv = open_services(root, create=True)
    ws, llm = sv.workspace, sv.llm
    settings = demo_settings(sv.config, iterations=args.iterations)
    if args.example:
        settings = settings.model_copy(update={"example_policy": args.example})
    ctx = sv.loop_context(console=Console(quiet=args.quiet), progress=not args.quiet)
    calls_before = len(ws.list_llm_calls())
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = start_run(ws, ctx, DEMO_GOAL, settings)
    total = time.perf_counter() - t0

    per_iter: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    it = 0
    for node, secs in out.timings:
        per_iter[it][node] += secs
        if node == "plan":
            it += 1
    hist = history_rows(out.state)
    result = {
        "bench": "loop", "endpoint": getattr(llm, "endpoint", "?"), "iterations": args.iterations,
        **stage_split(ws, out.timings, total, calls_before=calls_before),
        "per_iteration_s": {i: {k: round(v, 1) for k, v in d.items()} for i, d in per_iter.items()},
        "images": {str(h.iteration): h.images_added for h in hist},
        "final": hist[-1].model_dump() if hist else {}, "stop_reason": out.state.get("stop_reason"),
        "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "workspace": str(ws.root),
    }
    ws.close()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
