"""Policy quality: how good are the policies the configured LLM drafts for varied goals?

    .venv/bin/python -m evals.policy_quality            # the 12 goals of evals/goals.py
    .venv/bin/python -m evals.policy_quality --quick    # one goal (CI smoke)
    .venv/bin/python -m evals.policy_quality --goals ppe fire_exit

Each goal goes through the product's design pipeline (agent.design.design_policy: draft,
lint, critic pass on lint errors, scenarios, axes, final lint) with the configured LLM
(the embedded model by default). Per goal: lint errors of the draft before and after the
critic pass, errors and warnings of the final design, counts of classes, rules,
scenarios and axes, whether every rule has a compliant and a violating scenario, the
pairwise design's size against the full product, how many things code repaired or filled
in, how many LLM steps failed and fell back to code, and the LLM's time and tokens (read
from the workspace's llm_calls table, failed attempts included).

A goal passes when the design completed, the final policy has no lint errors, and every
rule has at least one compliant and one violating scenario. Code fills in scenarios the
model forgot, so `fallbacks` and `repairs` say how much of a passing design was the
model's own work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import tools  # noqa: F401  (offline environment defaults first)

from .goals import QUICK_GOALS, Goal, goals_by_id

RESULTS = Path(__file__).parent / "results"
FALLBACK_MARKERS = ("the model gave no usable", "the model proposed no usable", "critic pass failed")


def rule_coverage(policy) -> tuple[int, int]:
    """(rules with both a compliant and a violating scenario, rules)."""
    covered = 0
    for r in policy.rules:
        kinds = {s.kind for s in policy.scenarios if s.rule_id == r.id}
        covered += {"compliant", "violating"} <= kinds
    return covered, len(policy.rules)


def _errors(findings) -> int:
    return sum(f.level == "error" for f in findings)


def _llm_usage(ws, after_id: int) -> tuple[dict[str, Any], int]:
    calls = [c for c in ws.list_llm_calls() if (c.id or 0) > after_id]
    last = max([after_id, *[c.id or 0 for c in calls]])
    return ({"calls": len(calls), "failed_attempts": sum(bool(c.error) for c in calls),
             "prompt_tokens": sum(c.prompt_tokens for c in calls),
             "completion_tokens": sum(c.completion_tokens for c in calls),
             "llm_s": round(sum(c.latency_s for c in calls), 1),
             "templates": [c.template for c in calls]}, last)


def evaluate_goal(llm, ws, goal: Goal, after_id: int) -> tuple[dict[str, Any], int]:
    """Design one goal and measure it; a failure is a row with `error`, never a crash."""
    from agent.design import design_policy
    from tools.design import pairwise_size

    t0 = time.perf_counter()
    row: dict[str, Any] = {"id": goal.id, "goal": goal.text, "kind": goal.kind}
    try:
        result = design_policy(llm, goal.text)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # recorded: a goal the pipeline cannot design is a failed row
        row.update(error=f"{type(e).__name__}: {e}"[:300], passed=False)
        usage, last = _llm_usage(ws, after_id)
        row.update(llm=usage, wall_s=round(time.perf_counter() - t0, 1))
        return row, last
    p = result.policy
    covered, n_rules = rule_coverage(p)
    rows, full = pairwise_size(p) if p.scenarios and p.axes else (0, 0)
    final_errors = _errors(result.findings)
    row.update(
        error=None, title=p.title,
        lint_errors_draft=_errors(result.draft.findings_before),
        lint_errors_after_critic=_errors(result.draft.findings_after),
        critic_used=result.draft.critic_used,
        lint_errors_final=final_errors,
        lint_warnings_final=sum(f.level == "warning" for f in result.findings),
        final_findings=[f.one_line() for f in result.findings][:12],
        classes=len(p.classes), class_names=p.class_names(), rules=n_rules,
        rule_texts=[r.text for r in p.rules], scenarios=len(p.scenarios),
        scenario_kinds=sorted({s.kind for s in p.scenarios}), rules_covered=covered,
        every_rule_covered=n_rules > 0 and covered == n_rules, axes=len(p.axes),
        axis_names=[a.name for a in p.axes], pairwise_rows=rows, full_product=full,
        repairs=len(result.notes),
        fallbacks=sum(any(m in n for m in FALLBACK_MARKERS) for n in result.notes))
    row["passed"] = final_errors == 0 and row["every_rule_covered"]
    usage, last = _llm_usage(ws, after_id)
    row.update(llm=usage, wall_s=round(time.perf_counter() - t0, 1))
    return row, last


def run_suite(goal_ids: list[str] | tuple[str, ...] | None = None, *, work: Path | None = None,
              show: bool = True, make_llm=None) -> dict[str, Any]:
    """Design every goal with the configured LLM; returns the result dict. `make_llm(ws)`,
    when given, builds the LLM instead (tests pass a ScriptedLLM recording into `ws`)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from agent.llm import get_llm, stop_embedded
    from tools.config import load_config
    from tools.errors import ValidationError
    from tools.store import Workspace

    try:
        goals = goals_by_id(goal_ids)
    except ValueError as e:
        raise ValidationError(str(e), "see evals/goals.py for the ids") from None
    tmp = tempfile.mkdtemp(prefix="synthloop-policy-") if work is None else None
    root = Path(tmp) if tmp else work
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    try:
        with Workspace.init(root / "ws") as ws, Progress(
                TextColumn("[bold]{task.description}"), BarColumn(),
                TextColumn("{task.completed}/{task.total} goals"), TimeElapsedColumn(),
                TimeRemainingColumn(), disable=not show) as bar:
            config = load_config(ws.root).llm
            llm = make_llm(ws) if make_llm else get_llm(config, workspace=ws)
            task = bar.add_task("policy quality", total=len(goals))
            last = 0
            for g in goals:
                bar.update(task, description=f"designing {g.id}")
                row, last = evaluate_goal(llm, ws, g, last)
                rows.append(row)
                bar.advance(task)
                if show:
                    verdict = "[green]pass[/]" if row["passed"] else f"[red]fail[/] {row.get('error') or ''}"
                    bar.console.print(f"{g.id}: {verdict} ({row['wall_s']:.0f} s)")
            endpoint = str(getattr(llm, "endpoint", None) or config.base_url or "embedded")
            endpoint = "embedded" if endpoint.startswith("embedded") else endpoint  # no port
            model = getattr(llm, "model", None) or config.model or ""
    finally:
        stop_embedded()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(r["passed"] for r in rows)
    return {"suite": "policy_quality", "llm": {"endpoint": endpoint, "model": model},
            "goals": rows, "passed": passed, "total": len(rows),
            "pass_rate": round(passed / len(rows), 3) if rows else 0.0,
            "pass_definition": "design completed, no lint errors in the final policy, every rule "
                               "has a compliant and a violating scenario",
            "machine": {"cpus": os.cpu_count(), "load_1m_start": round(load0, 2),
                        "load_1m_end": round(os.getloadavg()[0], 2),
                        "python": platform.python_version()},
            "wall_s": round(time.perf_counter() - t0, 1)}


def render_markdown(result: dict[str, Any]) -> str:
    """The summary table and the pass rate."""
    head = ("| goal | pass | lint err. draft → after critic → final | warnings | classes | rules "
            "| scenarios | rules covered | axes | pairwise / full | repairs | LLM fallbacks "
            "| LLM calls | tokens in / out | LLM s |")
    lines = [f"# Policy quality ({result['llm']['endpoint']}: {result['llm']['model']})", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M', time.localtime())}; "
             f"**pass rate {result['passed']}/{result['total']} ({result['pass_rate']:.0%})**. "
             f"Pass = {result['pass_definition']}.",
             f"Wall time {result['wall_s'] / 60:.1f} min on {result['machine']['cpus']} CPU(s), "
             f"1-min load {result['machine']['load_1m_start']} → {result['machine']['load_1m_end']} "
             "(a shared machine: timings are noisy).", "", head,
             "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["goals"]:
        u = r["llm"]
        tail = (f"{u['calls']} ({u['failed_attempts']} failed) | {u['prompt_tokens']} / "
                f"{u['completion_tokens']} | {u['llm_s']:.0f} |")
        if r.get("error"):
            lines.append(f"| {r['id']} | **error** | {r['error'][:80]} | | | | | | | | | | " + tail)
            continue
        lines.append(
            f"| {r['id']} | {'yes' if r['passed'] else '**no**'} | {r['lint_errors_draft']} → "
            f"{r['lint_errors_after_critic']} → {r['lint_errors_final']} | "
            f"{r['lint_warnings_final']} | {r['classes']} | {r['rules']} | {r['scenarios']} | "
            f"{r['rules_covered']}/{r['rules']} | {r['axes']} | {r['pairwise_rows']} / "
            f"{r['full_product']} | {r['repairs']} | {r['fallbacks']} | " + tail)
    done = [r for r in result["goals"] if not r.get("error")]
    if done:
        calls = sum(r["llm"]["calls"] for r in result["goals"])
        out_tok = sum(r["llm"]["completion_tokens"] for r in result["goals"])
        llm_s = sum(r["llm"]["llm_s"] for r in result["goals"])
        lines += ["", f"Totals: {calls} LLM calls, {out_tok} completion tokens, {llm_s:.0f} s of "
                  f"LLM time ({out_tok / llm_s:.1f} tokens/s overall)." if llm_s else ""]
    failing = [r for r in done if not r["passed"]]
    if failing:
        lines += ["", "## Why designs failed", ""]
        lines += [f"- {r['id']}: " + "; ".join(f for f in r["final_findings"] if f.startswith("error"))[:400]
                  + ("" if r["every_rule_covered"] else " (a rule lacks a compliant or violating scenario)")
                  for r in failing]
    return "\n".join(lines)


def plot_lint(result: dict[str, Any], path: Path) -> Path:
    """Lint errors per goal: draft, after the critic pass, final design."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["goals"] if not r.get("error")]
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(result["goals"]) + 2), 4), dpi=100)
    ids = [r["id"] for r in rows]
    for k, (key, label) in enumerate([("lint_errors_draft", "draft"),
                                      ("lint_errors_after_critic", "after critic"),
                                      ("lint_errors_final", "final design")]):
        ax.bar([i + (k - 1) * 0.27 for i in range(len(rows))], [r[key] for r in rows], 0.27, label=label)
    for i, r in enumerate(rows):
        ax.text(i, -0.35, "pass" if r["passed"] else "FAIL", ha="center", fontsize=7,
                color="green" if r["passed"] else "red")
    ax.set_xticks(range(len(rows)), ids, rotation=40, ha="right", fontsize=8)
    ax.set_ylabel("lint errors")
    ax.set_ylim(bottom=-0.6)
    ax.set_title(f"Policy quality: pass {result['passed']}/{result['total']}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_results(result: dict[str, Any], out: Path, stem: str) -> dict[str, Any]:
    """Write `<stem>.md`, `<stem>.json` and `<stem>.png` under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / f"{stem}.md", out / f"{stem}.json"
    md.write_text(render_markdown(result) + "\n", encoding="utf-8")
    js.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return {"markdown": md, "json": js, "plots": [plot_lint(result, out / f"{stem}.png")]}


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The suite's options (shared with evals.run_all)."""
    ap.add_argument("--quick", action="store_true", help="one goal (CI smoke)")
    ap.add_argument("--goals", nargs="+", help="goal ids from evals/goals.py")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results folder")


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.markdown import Markdown

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    ids = args.goals or (list(QUICK_GOALS) if args.quick else None)
    result = run_suite(ids)
    paths = write_results(result, args.out, "policy_quality_quick" if args.quick else "policy_quality")
    Console().print(Markdown(render_markdown(result)))
    print(f"report: {paths['markdown']}\njson: {paths['json']}\nplot: {paths['plots'][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
