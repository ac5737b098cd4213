"""Policy quality: how good are the policies the configured LLM drafts for varied goals?

    .venv/bin/python -m synthloop.evals.policy_quality            # the 12 goals of evals/goals.py
    .venv/bin/python -m synthloop.evals.policy_quality --quick    # one goal (CI smoke)
    .venv/bin/python -m synthloop.evals.policy_quality --goals ppe fire_exit

Each goal goes through the product's design pipeline (agent.design.design_policy: draft,
lint, critic pass on lint errors, scenarios, axes, final lint) with the configured LLM
(the embedded model by default). Per goal: lint errors of the draft before and after the
critic pass, errors and warnings of the final design, counts of classes, rules,
scenarios and axes, whether every rule has a compliant and a violating scenario, the
pairwise design's size against the full product, how many things code repaired or filled
in, how many LLM steps failed and fell back to code, and the LLM's time and tokens (read
from the workspace's llm_calls table, failed attempts included).

A goal passes when the design completed, the final policy has no lint errors, every rule
has a compliant and a violating scenario that show different classes (lint's
`no_contrast`: otherwise a detector cannot tell them apart), and the objects the goal is
about are classes (`Goal.expects`, a crude semantic check lint cannot make: a German
"Sicherheitsgurt" drafted as a safety helmet fails it). Code fills in scenarios the model
forgot, so `fallbacks` and `repairs` say how much of a passing design was the model's own.
`--rescore RESULT.json` applies the current criteria to a saved run without the LLM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from synthloop.tools.offline import apply_offline_defaults

from .goals import QUICK_GOALS, Goal, goals_by_id
from .results_io import default_results_folder, write_table_and_json

RESULTS = default_results_folder()
FALLBACK_MARKERS = ("the model gave no usable", "the model proposed no usable", "critic pass failed")
PASS_DEFINITION = ("design completed, no lint errors in the final policy, every rule has a "
                   "compliant and a violating scenario showing different classes, and the "
                   "goal's key objects are classes")


def rule_coverage(policy) -> tuple[int, int]:
    """(rules with both a compliant and a violating scenario, rules)."""
    covered = 0
    for r in policy.rules:
        kinds = {s.kind for s in policy.scenarios if s.rule_id == r.id}
        covered += {"compliant", "violating"} <= kinds
    return covered, len(policy.rules)


def missing_objects(class_names: list[str], goal: Goal) -> list[str]:
    """The groups of `goal.expects` no class name contains, as 'a/b'."""
    names = [n.lower() for n in class_names]
    return ["/".join(group) for group in goal.expects
            if not any(alt in n for alt in group for n in names)]


def score_row(row: dict[str, Any], goal: Goal | None) -> dict[str, Any]:
    """`row` with the semantic checks and the verdict (also for rows saved earlier)."""
    if row.get("error"):
        return {**row, "passed": False}
    codes = row.get("finding_codes") or re.findall(r"\[(\w+)\]", " ".join(row["final_findings"]))
    missing = missing_objects(row["class_names"], goal) if goal else []
    untestable = codes.count("no_contrast")
    passed = (row["lint_errors_final"] == 0 and row["every_rule_covered"] and not untestable
              and not missing)
    return {**row, "untestable_rules": untestable, "missing_objects": missing,
            "expected_found": (len(goal.expects) - len(missing)) if goal else 0,
            "expected_total": len(goal.expects) if goal else 0, "passed": passed}


def rescore(result: dict[str, Any]) -> dict[str, Any]:
    """A saved result with every row scored by the current criteria."""
    known = {g.id: g for g in goals_by_id(None)}
    rows = [score_row(r, known.get(r["id"])) for r in result["goals"]]
    passed = sum(r["passed"] for r in rows)
    return {**result, "goals": rows, "passed": passed, "total": len(rows),
            "pass_rate": round(passed / len(rows), 3) if rows else 0.0,
            "pass_definition": PASS_DEFINITION}


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
    from synthloop.agent.design import design_policy
    from synthloop.tools.design import pairwise_size

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
        finding_codes=[f.code for f in result.findings],
        classes=len(p.classes), class_names=p.class_names(), rules=n_rules,
        rule_texts=[r.text for r in p.rules], scenarios=len(p.scenarios),
        scenario_kinds=sorted({s.kind for s in p.scenarios}), rules_covered=covered,
        every_rule_covered=n_rules > 0 and covered == n_rules, axes=len(p.axes),
        axis_names=[a.name for a in p.axes], pairwise_rows=rows, full_product=full,
        repairs=len(result.notes),
        fallbacks=sum(any(m in n for m in FALLBACK_MARKERS) for n in result.notes))
    row = score_row(row, goal)
    usage, last = _llm_usage(ws, after_id)
    row.update(llm=usage, wall_s=round(time.perf_counter() - t0, 1))
    return row, last


def run_suite(goal_ids: list[str] | tuple[str, ...] | None = None, *, work: Path | None = None,
              show: bool = True, make_llm=None) -> dict[str, Any]:
    """Design every goal with the configured LLM; returns the result dict. `make_llm(ws)`,
    when given, builds the LLM instead (tests pass a ScriptedLLM recording into `ws`)."""
    apply_offline_defaults()
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from synthloop.agent.llm import stop_embedded
    from synthloop.agent.services import open_services
    from synthloop.tools.errors import ValidationError

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
        with open_services(root / "ws", create=True) as sv, Progress(
                TextColumn("[bold]{task.description}"), BarColumn(),
                TextColumn("{task.completed}/{task.total} goals"), TimeElapsedColumn(),
                TimeRemainingColumn(), disable=not show) as bar:
            ws, config = sv.workspace, sv.config.llm
            llm = make_llm(ws) if make_llm else sv.llm
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
    return rescore({"suite": "policy_quality", "measured_at": time.strftime("%Y-%m-%d %H:%M"),
            "llm": {"endpoint": endpoint, "model": model, "temperature": config.temperature,
                    "embedded_threads": config.embedded_threads or "all cores"},
            "goals": rows,
            "machine": {"cpus": os.cpu_count(), "load_1m_start": round(load0, 2),
                        "load_1m_end": round(os.getloadavg()[0], 2),
                        "python": platform.python_version()},
            "wall_s": round(time.perf_counter() - t0, 1)})


def render_markdown(result: dict[str, Any]) -> str:
    """The summary table and the pass rate."""
    head = ("| goal | pass | lint err. draft → after critic → final | warnings | classes | rules "
            "| scenarios | rules covered | untestable rules | key objects | axes | pairwise / full "
            "| repairs | LLM fallbacks | LLM calls | tokens in / out | LLM s |")
    lines = [f"# Policy quality ({result['llm']['endpoint']}: {result['llm']['model']})", "",
             f"Measured {result.get('measured_at', '?')}; "
             f"**pass rate {result['passed']}/{result['total']} ({result['pass_rate']:.0%})**. "
             f"Pass = {result['pass_definition']}.",
             f"Wall time {result['wall_s'] / 60:.1f} min on {result['machine']['cpus']} CPU(s), "
             f"1-min load {result['machine']['load_1m_start']} → {result['machine']['load_1m_end']} "
             "(a shared machine: timings are noisy).", "", head,
             "|---|---|---|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["goals"]:
        u = r["llm"]
        tail = (f"{u['calls']} ({u['failed_attempts']} failed) | {u['prompt_tokens']} / "
                f"{u['completion_tokens']} | {u['llm_s']:.0f} |")
        if r.get("error"):
            lines.append(f"| {r['id']} | **error** | {r['error'][:80]} | | | | | | | | | | | | " + tail)
            continue
        lines.append(
            f"| {r['id']} | {'yes' if r['passed'] else '**no**'} | {r['lint_errors_draft']} → "
            f"{r['lint_errors_after_critic']} → {r['lint_errors_final']} | "
            f"{r['lint_warnings_final']} | {r['classes']} | {r['rules']} | {r['scenarios']} | "
            f"{r['rules_covered']}/{r['rules']} | {r.get('untestable_rules', 0)} | "
            f"{r.get('expected_found', 0)}/{r.get('expected_total', 0)}"
            + (f" (no {', '.join(r['missing_objects'])})" if r.get("missing_objects") else "")
            + f" | {r['axes']} | {r['pairwise_rows']} / "
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
        lines += [f"- {r['id']}: " + "; ".join(_why(r)) for r in failing]
    return "\n".join(lines)


def _why(r: dict[str, Any]) -> list[str]:
    why = [f for f in r["final_findings"] if f.startswith("error")][:3]
    if not r["every_rule_covered"]:
        why.append("a rule lacks a compliant or a violating scenario")
    if r.get("untestable_rules"):
        why += [f for f in r["final_findings"] if "[no_contrast]" in f][:2]
    if r.get("missing_objects"):
        why.append(f"no class for {', '.join(r['missing_objects'])}; classes: "
                   f"{', '.join(r['class_names'])}")
    return why


CHECKS = (("completed", lambda r: not r.get("error")),
          ("no lint errors", lambda r: r.get("lint_errors_final", 1) == 0),
          ("every rule covered", lambda r: bool(r.get("every_rule_covered"))),
          ("rules testable", lambda r: r.get("untestable_rules", 1) == 0),
          ("key objects", lambda r: not r.get("missing_objects", ["?"])),
          ("no LLM fallback", lambda r: r.get("fallbacks", 1) == 0))


def plot_checks(result: dict[str, Any], path: Path) -> Path:
    """One row per goal, one column per check: green passed, red failed; LLM seconds and
    tokens written beside each row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    rows = result["goals"]
    grid = [[1 if ok(r) else 0 for _, ok in CHECKS] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(rows) + 1.6), dpi=100)
    ax.imshow(grid, cmap=ListedColormap(["#e06666", "#93c47d"]), vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(CHECKS)), [c for c, _ in CHECKS], rotation=25, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [f"{r['id']} ({'pass' if r['passed'] else 'FAIL'})" for r in rows],
                  fontsize=8)
    for i, r in enumerate(rows):
        u = r["llm"]
        ax.text(len(CHECKS) - 0.4, i, f"  {u['llm_s']:.0f} s, {u['completion_tokens']} tok",
                va="center", fontsize=7)
    ax.set_xlim(-0.5, len(CHECKS) + 1.2)
    ax.set_title(f"Policy quality ({result['llm']['endpoint']}): pass {result['passed']}/"
                 f"{result['total']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_results(result: dict[str, Any], out: Path, stem: str) -> dict[str, Any]:
    """Write `<stem>.md`, `<stem>.json` and `<stem>.png` under `out`."""
    md, js = write_table_and_json(result, render_markdown(result), out, stem)
    return {"markdown": md, "json": js, "plots": [plot_checks(result, out / f"{stem}.png")]}


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The suite's options (shared with evals.run_all)."""
    ap.add_argument("--quick", action="store_true", help="one goal (CI smoke)")
    ap.add_argument("--goals", nargs="+", help="goal ids from evals/goals.py")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    ap.add_argument("--rescore", type=Path, help="score a saved result JSON again (no LLM)")


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.markdown import Markdown

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    if args.rescore:
        result = rescore(json.loads(args.rescore.read_text(encoding="utf-8")))
        paths = write_results(result, args.rescore.parent, args.rescore.stem)
    else:
        ids = args.goals or (list(QUICK_GOALS) if args.quick else None)
        result = run_suite(ids)
        paths = write_results(result, args.out,
                              "policy_quality_quick" if args.quick else "policy_quality")
    Console().print(Markdown(render_markdown(result)))
    print(f"report: {paths['markdown']}\njson: {paths['json']}\nplot: {paths['plots'][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
