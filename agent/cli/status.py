"""`synthloop status`: what the workspace holds."""

from __future__ import annotations

from rich.table import Table

from synthloop.tools.store import lock

from .app import console, open_workspace


def status() -> None:
    """What the workspace holds: policies, samples, datasets, runs, reports."""
    with open_workspace(write=False) as ws:
        counts = ws.counts()
        holder = lock.holder(ws.root)
        console.print(f"workspace [bold]{ws.root}[/]"
                      + (f"  [yellow](in use by pid {holder})[/]" if holder else ""), soft_wrap=True)
        t = Table(title="contents", show_lines=False)
        t.add_column("what")
        t.add_column("count", justify="right")
        t.add_column("detail")
        by_split = ws.sample_counts_by_split()
        t.add_row("policy versions", str(counts["policies"]), _policy_detail(ws))
        t.add_row("generation specs", str(counts["specs"]), "")
        t.add_row("samples", str(counts["samples"]),
                  ", ".join(f"{k}: {v}" for k, v in sorted(by_split.items())))
        t.add_row("dataset versions", str(counts["datasets"]), "")
        runs = ws.list_train_runs()
        t.add_row("training runs", str(len(runs)),
                  ", ".join(f"{r.status}: {sum(x.status == r.status for x in runs)}"
                            for r in {r.status: r for r in runs}.values()))
        t.add_row("reports", str(counts["reports"]), _report_detail(ws))
        t.add_row("loop iterations", str(counts["iterations"]), "")
        t.add_row("LLM calls", str(counts["llm_calls"]), _llm_detail(ws))
        console.print(t)


def _policy_detail(ws) -> str:
    rows = ws.list_policies()
    if not rows:
        return "none yet"
    v, _parent, title, _ = rows[-1]
    st = ws.review_status(v)
    return f"latest v{v} '{title}' ({st[0] if st else 'not reviewed'})"


def _report_detail(ws) -> str:
    reps = ws.list_reports()
    if not reps:
        return ""
    r = reps[-1]
    parts = [f"{k}={v:.3f}" for k, v in list(r.overall.items())[:3]]
    return f"latest: {', '.join(parts)} on {r.eval_set.n_images} {r.eval_set.kind} images"


def _llm_detail(ws) -> str:
    tokens_in, tokens_out, seconds = ws.llm_usage()
    hits = ws.llm_cache_hits()
    replayed = f"{hits} replayed from the reply cache" if hits else ""
    if not (tokens_in or tokens_out):
        return replayed
    return f"tokens in/out {tokens_in}/{tokens_out}, {seconds:.1f} s" + \
        (f"; {replayed}" if replayed else "")
