"""Wall time per stage of the demo loop, and LLM calls and tokens per iteration.

    python -m synthloop.evals.bench_loop [--workspace DIR] [--iterations 2] [--example ppe]

Runs the same loop as `synthloop demo` (embedded LLM unless one is configured, procedural
images, CPU training) in a fresh workspace and prints one JSON line:
stages (llm = draft + design + plan; generation; training; evaluation = evaluate +
analyse; other), per-iteration LLM calls/tokens, total wall time and final metrics.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console

STAGE_OF = {"draft": "llm", "design": "llm", "plan": "llm", "generate": "generation",
            "train": "training", "evaluate": "evaluation", "analyse": "evaluation"}


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
    t0 = time.perf_counter()
    out = start_run(ws, ctx, DEMO_GOAL, settings)
    total = time.perf_counter() - t0

    stages: dict[str, float] = defaultdict(float)
    per_iter: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    it = 0
    for node, secs in out.timings:
        stages[STAGE_OF.get(node, "other")] += secs
        per_iter[it][STAGE_OF.get(node, "other")] += secs
        if node == "plan":
            it += 1
    calls = ws.list_llm_calls()
    llm_by_template: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for c in calls:
        d = llm_by_template[c.template]
        d["calls"] += 1
        d["prompt_tokens"] += c.prompt_tokens
        d["completion_tokens"] += c.completion_tokens
        d["seconds"] += c.latency_s
    hist = history_rows(out.state)
    result = {
        "bench": "loop", "endpoint": getattr(llm, "endpoint", "?"), "iterations": args.iterations,
        "total_s": round(total, 1),
        "stages_s": {k: round(v, 1) for k, v in sorted(stages.items())},
        "per_iteration_s": {i: {k: round(v, 1) for k, v in d.items()} for i, d in per_iter.items()},
        "llm": {"calls": len(calls), "prompt_tokens": sum(c.prompt_tokens for c in calls),
                "completion_tokens": sum(c.completion_tokens for c in calls),
                "by_template": {k: {kk: round(vv, 1) for kk, vv in v.items()}
                                for k, v in llm_by_template.items()}},
        "images": {str(h.iteration): h.images_added for h in hist},
        "final": hist[-1].model_dump() if hist else {}, "stop_reason": out.state.get("stop_reason"),
        "workspace": str(ws.root),
    }
    ws.close()
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
