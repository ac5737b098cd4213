"""Benchmark the embedded LLM: cold start, generation speed, one ~400-token decision.

    .venv/bin/python -m synthloop.evals.bench_llm            # weights already joined (join excluded)
    .venv/bin/python -m synthloop.evals.bench_llm --with-join  # join the parts into a temp cache first

Prints one JSON line:
  cold_start_s      weights check (or join, with --with-join) + xllamacpp server start
  weights_s         the weights part of it: stamp check, or join + sha256
  check_s           round trip of a tiny request right after start
  tokens_per_s      completion tokens / wall time of a 200-token free-text completion
                    (prompt processing included)
  decision_s        one structured decision (PolicyDraft JSON schema) end to end,
  decision_tokens   with its completion tokens, attempts (2 = the repair retry was needed)
  decision_valid    and whether it validated (decision_error says why not)
  rss_mb            this process's resident memory with the model loaded
Load and core count are printed too: on a shared 2-core machine they explain most variance.
Run it several times and take medians; nothing else should train or generate meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from synthloop.agent.llm import LLMUnavailable, StructuredOutputError, get_llm, stop_embedded
from synthloop.agent.llm.embedded import ensure_embedded
from synthloop.agent.llm.weights import ensure_weights
from synthloop.prompts import add_prompt_folder
from synthloop.tools.config import LLMConfig
from synthloop.tools.offline import apply_offline_defaults


class ObjectClass(BaseModel):
    name: str = Field(max_length=40)
    description: str = Field(max_length=80)


class Rule(BaseModel):
    id: str = Field(max_length=8)
    text: str = Field(max_length=100)
    classes: list[str] = Field(max_length=4)


class Scenario(BaseModel):
    id: str = Field(max_length=48)
    kind: Literal["compliant", "violating", "hard_negative", "edge_case"]
    description: str = Field(max_length=80)


class Axis(BaseModel):
    name: str = Field(max_length=32)
    values: list[str] = Field(min_length=2, max_length=4)


class PolicyDraft(BaseModel):
    title: str = Field(max_length=80)
    classes: list[ObjectClass] = Field(min_length=1, max_length=5)
    rules: list[Rule] = Field(min_length=1, max_length=4)
    scenarios: list[Scenario] = Field(min_length=2, max_length=8)
    axes: list[Axis] = Field(default_factory=list, max_length=4)


GOAL = "Workers on a construction site wear a hard hat and a high-visibility vest."


def _rss_mb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


def run(with_join: bool) -> dict:
    cache = None
    if with_join:
        cache = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    try:
        # a long timeout: on a busy machine a slow answer is a measurement, not a failure
        config = LLMConfig(timeout_s=1800)
        t0 = time.perf_counter()
        path = ensure_weights(cache=cache)
        weights_s = time.perf_counter() - t0
        server = ensure_embedded(config, model_path=path)
        cold_start_s = time.perf_counter() - t0
        llm = get_llm(config)
        check = llm.check()
        text_before = llm.usage.completion_tokens
        t1 = time.perf_counter()
        llm.complete("_test_chat", {"question": "Explain in about 150 words why construction "
                                                "workers wear hard hats."}, max_tokens=200)
        text_s = time.perf_counter() - t1
        text_tokens = llm.usage.completion_tokens - text_before
        calls_before = len(llm.calls)
        t2 = time.perf_counter()
        error = None
        try:
            llm.decide(PolicyDraft, "bench_policy", {"goal": GOAL}, max_tokens=1024)
        except (StructuredOutputError, LLMUnavailable) as e:
            error = e.one_line()
        decision_s = time.perf_counter() - t2
        attempts = llm.calls[calls_before:]
        result = {
            "bench": "llm", "model": server.model_name, "cores": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2), "join_included": with_join,
            "cold_start_s": round(cold_start_s, 2), "weights_s": round(weights_s, 2),
            "server_start_s": round(server.startup_s, 2), "check_s": round(check.latency_s, 2),
            "tokens_per_s": round(text_tokens / text_s, 1), "text_tokens": text_tokens,
            "decision_s": round(decision_s, 2),
            "decision_tokens": sum(c.completion_tokens for c in attempts),
            "decision_attempts": len(attempts), "decision_valid": error is None,
            "decision_error": error,
            "rss_mb": _rss_mb(),
        }
        llm.close()
        return result
    finally:
        stop_embedded()
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark once and print one JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--with-join", action="store_true",
                    help="join the weights into a temporary cache first (1.1 GB written)")
    args = ap.parse_args(argv)
    apply_offline_defaults()
    add_prompt_folder(Path(__file__).parent / "prompts")  # bench_policy.md
    print(json.dumps(run(args.with_join)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
