"""Where a run's wall time went: the LLM (by call), generation, training, evaluation and the
rest, from the runner's node timings and the workspace's llm_calls rows of the run.

    split = stage_split(ws, out.timings, total_s, calls_before=n)   # n: rows before the run
    console.print(split_line(split)); print(json.dumps(split))

`llm` is the time spent waiting for replies (llm_calls.latency_s; a reply replayed from the
cache counts 0); the nodes that call the LLM (draft, design, plan) put the rest of their
time under `other`, with server starts, the review and the dataset builds. Shared by
`synthloop demo` / `run` and evals/bench_loop.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

NODE_STAGE = {"generate": "generation", "train": "training", "evaluate": "evaluation",
              "analyse": "evaluation", "verify": "evaluation"}
STAGES = ("llm", "generation", "training", "evaluation", "other")


def stage_split(ws, timings: list[tuple[str, float]], total_s: float, *,
                calls_before: int = 0) -> dict[str, Any]:
    """The split as a JSON-ready dict: total, seconds and share per stage, and one entry per
    LLM call of the run (template, tokens, prompt tokens taken from the KV cache, seconds,
    of them prompt evaluation where the server says)."""
    calls = ws.list_llm_calls()[calls_before:]
    stages: dict[str, float] = defaultdict(float)
    for node, secs in timings:
        stages[NODE_STAGE.get(node, "other")] += secs
    llm_s = sum(c.latency_s for c in calls)
    stages["llm"] = llm_s
    stages["other"] = max(0.0, total_s - sum(stages[s] for s in STAGES if s != "other"))
    total = max(total_s, 1e-9)
    return {
        "total_s": round(total_s, 1),
        "stages_s": {s: round(stages[s], 1) for s in STAGES},
        "share": {s: round(stages[s] / total, 3) for s in STAGES},
        "llm_calls": [{"template": c.template, "prompt_tokens": c.prompt_tokens,
                       "prompt_cached": c.prompt_cached, "completion_tokens": c.completion_tokens,
                       "seconds": round(c.latency_s, 1),
                       "prompt_s": None if c.prompt_s is None else round(c.prompt_s, 1),
                       "replayed": c.cached, "ok": c.error is None} for c in calls],
    }


def split_line(split: dict[str, Any]) -> str:
    """One line for people: the total, each stage with its share, the LLM's calls."""
    s, sh = split["stages_s"], split["share"]
    calls = ", ".join(f"{c['template']} {c['seconds']:.0f}" + (" (replayed)" if c["replayed"] else "")
                      for c in split["llm_calls"])
    return (f"time: {split['total_s']:.0f} s - LLM {s['llm']:.0f} s ({sh['llm']:.0%}"
            + (f": {calls}" if calls else "") + f"), generation {s['generation']:.0f} s, "
            f"training {s['training']:.0f} s, evaluation {s['evaluation']:.0f} s, "
            f"other {s['other']:.0f} s")
