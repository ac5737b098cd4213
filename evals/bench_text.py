"""Benchmark the vision-language texts: N dialogs phrased by the LLM and checked.

    .venv/bin/python -m synthloop.evals.bench_text --n 500      # the full run
    .venv/bin/python -m synthloop.evals.bench_text --n 20       # a quick check

Samples are random PPE scenes (1-3 people, each with or without a hard hat and a vest, at
random positions and variable values), labelled by construction; their texts are phrased
by the configured LLM (the embedded model by default) at the split temperatures and checked.
Prints one JSON line and writes evals/results/text.json and text.md:
  agree_share      exported answers the checker (re-run on the export) finds true to the labels
  llm_accepted     texts whose LLM phrasing passed; template: texts that fell back
  reasons          the checker's rejections by reason
  tokens_per_s     completion tokens / LLM wall time; s_per_sample
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from synthloop.agent.llm import get_llm
from synthloop.agent.phrasing import llm_phraser
from synthloop.tools.design.policy_io import load_example_policy
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.offline import apply_offline_defaults
from synthloop.tools.text import SplitRules, assign_splits, build_texts, check_text, scene_facts

RESULTS = Path(__file__).parent / "results"


def scenes(n: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    pol = load_example_policy("ppe")
    out = []
    for i in range(n):
        anns = []
        k = rng.randint(1, 3)
        for j in range(k):
            x0 = 10 + j * (280 / k) + rng.random() * 20
            anns.append(Annotation(cls="person", box=(x0, 60, x0 + 40, 200)))
            if rng.random() < 0.6:
                anns.append(Annotation(cls="hard_hat", box=(x0 + 8, 60, x0 + 32, 75)))
            if rng.random() < 0.6:
                anns.append(Annotation(cls="hi_vis_vest", box=(x0 + 4, 90, x0 + 36, 140)))
        var = {a.name: rng.choice(a.value_names()) for a in pol.axes}
        out.append(Sample(id=f"bench-{i:04d}", image="files/x.png", width=300, height=220,
                          annotations=anns, scenario_id=rng.choice(pol.scenarios).id,
                          variables=var, provenance=Provenance(generator="bench", seed=i)))
    return out


def run(n: int, seed: int) -> dict:
    pol = load_example_policy("ppe")
    samples = scenes(n, seed)
    ids = [s.id for s in samples]
    over = {sid: ("test" if i % 5 == 0 else "validation" if i % 5 == 1 else "train")
            for i, sid in enumerate(ids)}
    a = assign_splits(samples, SplitRules(overrides=over))
    llm = get_llm()  # no workspace: defaults + environment
    llm_s = [0.0]
    batch = llm_phraser(llm)

    def ask(tasks, temperature: float):
        t = time.perf_counter()
        try:
            return batch(tasks, temperature)
        finally:
            llm_s[0] += time.perf_counter() - t

    t0 = time.perf_counter()
    def progress(st) -> None:
        print(f"sample {st.sample_id}: {time.perf_counter() - t0:.0f} s, "
              f"{llm.usage.completion_tokens} tokens", file=sys.stderr, flush=True)

    built = build_texts(pol, samples, a, ask=ask, on_sample=progress)
    wall = time.perf_counter() - t0
    by_id = {s.id: s for s in samples}
    answers = agree = 0
    for sid, st in built.texts.items():
        f = scene_facts(pol, by_id[sid])
        for x in st.texts():
            answers += 1
            agree += not check_text(x.text, f, x.reference, expect_yes=x.expect_yes)
    st = built.stats
    return {"bench": "text", "n": n, "texts": st.texts, "agree_share": round(agree / answers, 4),
            "llm_accepted": st.llm_accepted, "template": st.template, "rejected": st.rejected,
            "llm_errors": st.llm_errors, "reasons": st.reasons, "llm_calls": st.llm_calls,
            "tokens_per_s": round(llm.usage.completion_tokens / llm_s[0], 1) if llm_s[0] else 0,
            "s_per_sample": round(wall / n, 2), "wall_s": round(wall, 1),
            "example": built.texts[ids[0]].model_dump(mode="json")}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    apply_offline_defaults()
    res = run(args.n, args.seed)
    example = res.pop("example")
    print(json.dumps(res))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "text.json").write_text(json.dumps({**res, "example": example}, indent=1) + "\n")
    (RESULTS / "text.md").write_text(
        f"# Vision-language texts (evals/bench_text.py), N = {args.n}\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} on the shared 2-core machine with the embedded "
        f"model; a small N checks the script works, it is not the full run (`--n 500`).\n\n"
        f"| what | figure |\n| --- | --- |\n| answers agreeing with the labels | "
        f"{res['agree_share']:.0%} of {res['texts']} |\n| LLM phrasing kept | {res['llm_accepted']} "
        f"(template fallback {res['template']}) |\n| rejections by reason | {res['reasons']} |\n"
        f"| LLM errors | {res['llm_errors']} |\n| tokens/s | {res['tokens_per_s']} |\n"
        f"| s per sample | {res['s_per_sample']} |\n")


if __name__ == "__main__":
    main()
