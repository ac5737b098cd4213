"""Benchmark the vision-language texts: N dialogs phrased by the LLM and checked.

    .venv/bin/python -m synthloop.evals.bench_text --n 500 --parallel 4   # the full run
    .venv/bin/python -m synthloop.evals.bench_text --n 20                 # a quick check

Samples are the example PPE policy's specs (its scenarios and axes, stratified), labelled
with the layouts the generator is asked to draw; their texts (two captions
and a dialog of up to 4 answers) are phrased by the configured LLM (the embedded model by
default), one structured request per sample (`synthloop.agent.phrasing`), at the split
temperatures, and checked. `--parallel K` sends K samples at once (the embedded server then
decodes K slots together).

The run is resumable: each finished sample is appended to evals/results/text_samples.jsonl.gz
(its texts, every refusal, its request time) and a rerun skips those (`--fresh` starts over),
so a full run may span several sessions; every run also appends one `run` line (wall time,
tokens, parallelism, load). The summary covers the first N samples present and says how
many of N were done. Prints one JSON line and writes evals/results/text.json and text.md:
  agree_share      exported texts the checker (re-run here) finds true to the labels
  llm_accepted     texts whose LLM phrasing passed; template: texts that fell back
  refused_on_recheck  phrasings kept when they were phrased that the checker of this
                   commit refuses: they count as template texts (no retry is spent on them)
  reasons          the checker's rejections by reason
  tokens_per_s     completion tokens / wall time of the runs; s_per_sample (runs marked
                   "contended" in the checkpoint, which shared the cores with other
                   benchmarks, count for their samples but not for the speed)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from synthloop.tools.config import LLMConfig, load_config
from synthloop.tools.dataset.progress import progress_bar
from synthloop.tools.design import expand_specs
from synthloop.tools.design.policy_io import load_example_policy
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.offline import apply_offline_defaults
from synthloop.tools.text import (
    SampleTexts,
    SplitRules,
    TextStats,
    assign_splits,
    check_text,
    sample_texts,
    scene_facts,
)

RESULTS = Path(__file__).parent / "results"
CHECKPOINT = RESULTS / "text_samples.jsonl.gz"  # gzip: 2.6 MB of text as 0.12 MB
SIZE = 320


def scenes(n: int, seed: int) -> list[Sample]:
    """The first n specs the example PPE policy expands to (stratified over its scenarios and
    axes), as labelled samples at 320x320: what the generator would be asked to draw, so the
    scenario agrees with the labels. Sample i depends only on (seed, i) for a fixed policy."""
    pol = load_example_policy("ppe")
    out = []
    for i, spec in enumerate(expand_specs(pol, n, seed=seed)):
        anns = [Annotation(cls=b.cls, box=tuple(v * SIZE for v in b.box)) for b in spec.layout]
        out.append(Sample(id=f"bench-{i:04d}", image="files/x.png", width=SIZE, height=SIZE,
                          annotations=anns, scenario_id=spec.scenario_id,
                          variables=spec.variables, provenance=Provenance(generator="bench", seed=i)))
    return out


def _open(path: Path, mode: str):
    """A checkpoint file, gzip-compressed when its name ends in .gz (appending adds a gzip
    member, and a reader reads every member)."""
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def read_checkpoint(path: Path, seed: int) -> tuple[dict[str, dict], list[dict]]:
    done: dict[str, dict] = {}
    runs: list[dict] = []
    if path.is_file():
        with _open(path, "rt") as f:
            lines = f.read().splitlines()
        for line in lines:
            row = json.loads(line)
            if row.get("seed") != seed:
                continue
            if "run" in row:
                runs.append(row["run"])
            else:
                done[row["sample_id"]] = row
    return done, runs


def llm_config(parallel: int) -> LLMConfig:
    cfg = load_config(None).llm
    return cfg.model_copy(update={"embedded_parallel": max(cfg.embedded_parallel, parallel)})


def phrase_missing(samples: list[Sample], todo: list[Sample], parallel: int, seed: int,
                   path: Path, contended: str = "") -> dict:
    from synthloop.agent.llm import get_llm
    from synthloop.agent.phrasing import llm_phraser

    pol = load_example_policy("ppe")
    ids = [s.id for s in samples]
    over = {sid: ("test" if i % 5 == 0 else "validation" if i % 5 == 1 else "train")
            for i, sid in enumerate(ids)}
    a = assign_splits(samples, SplitRules(overrides=over))
    llm = get_llm(llm_config(parallel))  # no workspace: defaults + environment
    ask = llm_phraser(llm)
    lock = threading.Lock()
    load = os.getloadavg()[0]

    def one(s: Sample) -> dict:
        stats = TextStats()
        split = a.split_of(s.id)
        t = time.perf_counter()
        st = sample_texts(pol, s, split, a.temperatures[split], ask=ask, stats=stats)
        return {"seed": seed, "sample_id": s.id, "s": round(time.perf_counter() - t, 2),
                "texts": st.model_dump(mode="json"), "stats": stats.model_dump(mode="json")}

    t0 = time.perf_counter()
    finished = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=parallel)
    try:
        with progress_bar("phrasing", len(todo), unit="sample") as advance, \
                _open(path, "at") as out:
            for fut in as_completed([pool.submit(one, s) for s in todo]):
                row = fut.result()
                with lock:
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                finished += 1
                advance()
    finally:  # Ctrl-C: keep what finished, drop what has not started
        pool.shutdown(wait=False, cancel_futures=True)
        run = {"samples": finished, "wall_s": round(time.perf_counter() - t0, 1),
               "completion_tokens": llm.usage.completion_tokens,
               "prompt_tokens": llm.usage.prompt_tokens, "parallel": parallel,
               "load_at_start": round(load, 2), "model": llm.model or "embedded",
               "date": time.strftime("%Y-%m-%d %H:%M")}
        if contended:  # shares the cores on purpose: its samples count, its speed does not
            run.update(contended=True, note=contended)
        with _open(path, "at") as out:
            out.write(json.dumps({"seed": seed, "run": run}) + "\n")
    return run


def summarise(samples: list[Sample], done: dict[str, dict], runs: list[dict], n: int) -> dict:
    pol = load_example_policy("ppe")
    total = TextStats()
    answers = agree = recheck = 0
    recheck_reasons: dict[str, int] = {}
    have = [s for s in samples if s.id in done]
    for s in have:
        row = done[s.id]
        st = SampleTexts.model_validate(row["texts"])
        total.merge(TextStats.model_validate(row["stats"]))
        f = scene_facts(pol, s)
        for x in st.texts():
            answers += 1
            issues = check_text(x.text, f, x.reference, expect_yes=x.expect_yes)
            if issues and x.source == "llm":  # the checker grew stricter since it was phrased:
                recheck += 1  # the export falls back to the template, as it would now
                for i in issues:
                    recheck_reasons[i.reason] = recheck_reasons.get(i.reason, 0) + 1
                issues = check_text(x.reference, f, x.reference, expect_yes=x.expect_yes)
            agree += not issues
    quiet = [r for r in runs if not r.get("contended")]  # speed only from unshared runs
    tokens = sum(r["completion_tokens"] for r in quiet)
    wall = sum(r["wall_s"] for r in quiet)
    ran = sum(r["samples"] for r in quiet)
    return {"bench": "text", "n": n, "done": len(have), "texts": total.texts,
            "agree_share": round(agree / answers, 4) if answers else None,
            "llm_accepted": total.llm_accepted - recheck, "template": total.template + recheck,
            "refused_on_recheck": recheck, "recheck_reasons": recheck_reasons,
            "rejected": total.rejected, "llm_errors": total.llm_errors, "reasons": total.reasons,
            "llm_calls": total.llm_calls,
            "tokens_per_s": round(tokens / wall, 1) if wall else None,
            "s_per_sample": round(wall / ran, 2) if ran else None,
            "completion_tokens_per_sample": round(tokens / ran, 1) if ran else None,
            "speed_from_runs": len(quiet), "runs": runs}


def audit_sheet(samples: list[Sample], done: dict[str, dict], k: int, seed: int) -> str:
    """A Markdown sheet of `k` exported LLM phrasings drawn at random (after the re-check),
    each beside the template text code wrote from the labels and the image's variables,
    with an empty verdict column for a person to fill: a measure of agreement that does
    not come from the checker itself."""
    import random

    pol = load_example_policy("ppe")
    kept = []
    for s in samples:
        if s.id not in done:
            continue
        f = scene_facts(pol, s)
        for x in SampleTexts.model_validate(done[s.id]["texts"]).texts():
            if x.source == "llm" and not check_text(x.text, f, x.reference,
                                                     expect_yes=x.expect_yes):
                kept.append((s, x))
    pick = random.Random(seed).sample(kept, min(k, len(kept)))
    cell = lambda t: t.replace("|", "/").replace("\n", " ")  # noqa: E731
    rows = [f"| {i} | {s.id} | {x.kind} | {cell(x.text)} | {cell(x.reference)} | "
            f"{', '.join(f'{a} {v}' for a, v in s.variables.items())} |  |"
            for i, (s, x) in enumerate(pick, 1)]
    return (f"# Hand audit of exported LLM phrasings (bench_text --audit {k}, seed {seed})\n\n"
            f"{len(pick)} of the {len(kept)} exported texts that kept the LLM's phrasing, drawn "
            "at random. The reference is the template code wrote from the labels (correct by "
            "construction); a person marks each phrasing agree / disagree with the labels.\n\n"
            "| # | sample | kind | exported phrasing | reference (from the labels) | variables "
            "| verdict |\n| ---: | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")


def write_results(res: dict, example: dict | None) -> None:
    (RESULTS / "text.json").write_text(json.dumps({**res, "example": example}, indent=1) + "\n")
    done = f"{res['done']} of {res['n']}"
    runs = "; ".join(f"{r['date']}: {r['samples']} samples in {r['wall_s']} s at parallel "
                     f"{r['parallel']}, load {r['load_at_start']}"
                     + (" (contended: left out of the speed figures)" if r.get("contended") else "")
                     for r in res["runs"])
    agree = "-" if res["agree_share"] is None else f"{res['agree_share']:.1%}"
    (RESULTS / "text.md").write_text(
        f"# Vision-language texts (evals/bench_text.py), N = {res['n']}\n\n"
        f"Samples done: **{done}** (the run resumes from text_samples.jsonl.gz; runs: "
        f"{runs or 'none'}). Embedded model on the shared 2-core machine unless a run says "
        "otherwise.\n\n"
        f"| what | figure |\n| --- | --- |\n| exported texts agreeing with the labels | "
        f"{agree} of {res['texts']} |\n| LLM phrasing kept | {res['llm_accepted']} "
        f"(template fallback {res['template']}) |\n| LLM phrasings refused by the checker | "
        f"{res['rejected']} |\n| refusals by reason | {res['reasons']} |\n"
        f"| kept phrasings the current checker refuses (now template) | "
        f"{res['refused_on_recheck']} {res['recheck_reasons'] or ''} |\n"
        f"| failed requests (texts) | {res['llm_errors']} |\n| requests | {res['llm_calls']} |\n"
        f"| completion tokens/s | {res['tokens_per_s']} |\n| s per sample (wall, runs not marked contended) | "
        f"{res['s_per_sample']} |\n| completion tokens per sample | "
        f"{res['completion_tokens_per_sample']} |\n")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parallel", type=int, default=1, help="samples phrased at once")
    p.add_argument("--limit", type=int, default=0, help="phrase at most this many this run")
    p.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    p.add_argument("--fresh", action="store_true", help="discard the checkpoint's samples")
    p.add_argument("--contended", default="", metavar="NOTE",
                   help="mark this run as sharing the cores (why): left out of the speed")
    p.add_argument("--audit", type=int, default=0, metavar="K",
                   help="write evals/results/text_audit.md: K exported phrasings for a person to judge")
    args = p.parse_args()
    apply_offline_defaults()
    if args.audit:
        sheet = RESULTS / "text_audit.md"
        if sheet.exists():  # it holds a person's verdicts: never overwrite them
            print(f"error: {sheet} exists (it may hold a person's verdicts); move it away to "
                  "draw a new sheet", file=sys.stderr)
            sys.exit(2)
        done, _ = read_checkpoint(args.checkpoint, args.seed)
        sheet.write_text(audit_sheet(scenes(args.n, args.seed), done, args.audit, args.seed))
        print(f"wrote {sheet}")
        return
    if args.fresh and args.checkpoint.is_file():
        args.checkpoint.unlink()
    samples = scenes(args.n, args.seed)
    done, _ = read_checkpoint(args.checkpoint, args.seed)
    todo = [s for s in samples if s.id not in done]
    if args.limit:
        todo = todo[:args.limit]
    if todo:
        print(f"{len(done)} of {args.n} samples already done; phrasing {len(todo)}",
              file=sys.stderr)
        phrase_missing(samples, todo, args.parallel, args.seed, args.checkpoint,
                       args.contended)
    done, runs = read_checkpoint(args.checkpoint, args.seed)
    res = summarise(samples, done, runs, args.n)
    first = next((done[s.id]["texts"] for s in samples if s.id in done), None)
    print(json.dumps({k: v for k, v in res.items() if k != "runs"}))
    RESULTS.mkdir(exist_ok=True)
    write_results(res, first)


if __name__ == "__main__":
    main()
