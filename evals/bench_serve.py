"""Benchmark the review desk's page loads on a workspace with 2,000 samples.

    .venv/bin/python -m synthloop.evals.bench_serve              # 2,000 samples, 7 loads a page
    .venv/bin/python -m synthloop.evals.bench_serve --samples 200 --loads 3     # a quick look

Builds a temporary workspace: the example PPE policy, a run paused at its review (no LLM
needed: the example policy is the draft), N procedural samples of that version, a report
over 400 of them whose predictions miss every hard hat at night, an iteration with a plan,
and 100 quarantined samples. Serves the desk on a loopback port (uvicorn, as `synthloop
serve` does) and times each page over HTTP: the first load, then the median of `--loads`
more. Thumbnails are separate requests (a page lists at most 48), timed cold and cached.
Prints one JSON line and writes evals/results/serve.md and serve.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from synthloop.evals.results_io import default_results_folder, write_table_and_json
from synthloop.tools.offline import apply_offline_defaults


def build_workspace(root: Path, n: int) -> dict:
    """The workspace described in the module docstring; returns the ids the pages need."""
    from synthloop.agent.context import LoopContext, RunSettings
    from synthloop.agent.llm import ScriptedLLM
    from synthloop.agent.runner import start_run
    from synthloop.tools.design import expand_specs
    from synthloop.tools.evaluate import Prediction, build_report
    from synthloop.tools.generate.procedural import ProceduralGenerator
    from synthloop.tools.generate.runner import generate_samples
    from synthloop.tools.models import EvalSetInfo, LoopIteration, SampleFlag
    from synthloop.tools.store import Workspace

    with Workspace.init(root) as ws:
        ctx = LoopContext(workspace=ws, llm=ScriptedLLM([]), console=Console(quiet=True),
                          progress=False)
        start_run(ws, ctx, "ppe", RunSettings(example_policy="ppe", auto_approve=False,
                                              iterations=0), thread_id="bench-run")
        policy = ws.get_policy(1)
        specs = list(expand_specs(policy, n, seed=7))
        ws.save_specs(specs)
        gen = ProceduralGenerator(320, 320, workers=0)
        try:
            ids = generate_samples(ws, policy, specs, gen, progress=False).sample_ids
        finally:
            gen.close()
        test = ws.get_samples(ids[:400])
        preds = {s.id: [Prediction(a.cls, 0.9, a.box) for a in s.annotations
                        if not (a.cls == "hard_hat" and s.variables.get("lighting") == "night")]
                 for s in test}
        report = ws.save_report(build_report(test, preds, policy.class_names(),
                                             eval_set=EvalSetInfo(kind="synthetic",
                                                                  n_images=len(test))))
        plan = {"source": "llm", "rationale": "hard hats vanish at night", "floor": 10,
                "targets": [{"axis": "lighting", "value": "night", "cls": "hard_hat",
                             "count": 90, "evidence": "recall 0.00", "hypothesis": "dark"}]}
        ws.save_iteration(LoopIteration(thread_id="bench-run", number=0, policy_version=1,
                                        plan=plan, report_id=report.id, images_added=n))
        ws.save_flags([SampleFlag(sample_id=i, verifier="bench", score=0.3,
                                  reason="a box with nothing in it") for i in ids[400:500]])
        counts = ws.scenario_sample_counts(1)
    biggest = max(counts, key=counts.get)
    return {"report": report.id, "scenario": biggest, "scenario_samples": counts[biggest],
            "samples": len(ids), "sample": ids[0], "sample2": ids[1]}


def time_pages(root: Path, ids: dict, loads: int) -> list[dict]:
    import httpx

    from synthloop.agent.serve import create_app
    from synthloop.agent.serve.server import serve_in_thread as served

    pages = [("home", "/"), ("policy review", "/policy/1"), ("policy edit", "/policy/1/edit"),
             (f"scenario {ids['scenario']} p1", f"/policy/1/scenarios/{ids['scenario']}"),
             (f"scenario {ids['scenario']} p10",
              f"/policy/1/scenarios/{ids['scenario']}?page=10"),
             ("runs", "/runs"), ("run", "/runs/bench-run"),
             ("run status (polled)", "/runs/bench-run/status.json"),
             ("report", f"/reports/{ids['report']}"), ("labels", "/labels"),
             ("report plot (slices)", f"/reports/{ids['report']}/slices.png")]
    rows = []
    with served(create_app(root)) as url, httpx.Client(base_url=url, timeout=60) as c:
        for name, path in pages:
            times = []
            for _ in range(loads + 1):
                t0 = time.perf_counter()
                r = c.get(path)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
            rows.append({"page": name, "path": path, "bytes": len(r.content),
                         "first_ms": round(1000 * times[0], 1),
                         "median_ms": round(1000 * statistics.median(times[1:]), 1)})
        cold = []
        for sid in (ids["sample"], ids["sample2"]):
            t0 = time.perf_counter()
            c.get(f"/samples/{sid}/thumb.png").raise_for_status()
            cold.append(time.perf_counter() - t0)
        warm = []
        for _ in range(loads):
            t0 = time.perf_counter()
            c.get(f"/samples/{ids['sample']}/thumb.png").raise_for_status()
            warm.append(time.perf_counter() - t0)
        rows.append({"page": "thumbnail (one image)", "path": "/samples/ID/thumb.png",
                     "bytes": len(c.get(f"/samples/{ids['sample']}/thumb.png").content),
                     "first_ms": round(1000 * statistics.median(cold), 1),
                     "median_ms": round(1000 * statistics.median(warm), 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--loads", type=int, default=7, help="timed loads per page after the first")
    ap.add_argument("--out", type=Path, default=default_results_folder())
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    apply_offline_defaults()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        t0 = time.perf_counter()
        ids = build_workspace(Path(tmp) / "ws", args.samples)
        built = time.perf_counter() - t0
        rows = time_pages(Path(tmp) / "ws", ids, args.loads)
    load = os.getloadavg()
    result = {"samples": ids["samples"], "loads": args.loads, "build_s": round(built, 1),
              "loadavg": [round(x, 2) for x in load], "cpus": os.cpu_count(), "pages": rows,
              "scenario_samples": ids["scenario_samples"]}
    print(json.dumps(result))
    if not args.no_write:
        lines = [f"# Review desk page loads ({ids['samples']} samples)", "",
                 f"`python -m synthloop.evals.bench_serve --samples {args.samples} --loads "
                 f"{args.loads}`: uvicorn on 127.0.0.1, one client, {os.cpu_count()} CPUs, load "
                 f"average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} after the run. "
                 f"The largest scenario has {ids['scenario_samples']} samples (48 a page).", "",
                 "| page | bytes | first load (ms) | median of next (ms) |",
                 "| --- | ---: | ---: | ---: |"]
        lines += [f"| {r['page']} | {r['bytes']} | {r['first_ms']} | {r['median_ms']} |"
                  for r in rows]
        write_table_and_json(result, "\n".join(lines), args.out, "serve")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
