"""What `synthloop run`, `resume` and `demo` share: the loop's runtime context, the
interactive design review, the outcome summary, and starting a run."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from ..state import HistoryRow, history_rows
from .app import console


def loop_context(sv, *, progress: bool = True):
    """The loop's runtime context on the services (tests replace this)."""
    return sv.loop_context(console=console, progress=progress)


def summary_table(history: list[HistoryRow], title: str = "improvement loop") -> Table:
    """One row per iteration. "weakest slice" is the report's top-ranked slice (see
    agent/metrics.py); recall values are on the holdout."""
    t = Table(title=title, title_justify="left")
    t.add_column("iter", justify="right")
    t.add_column("added", justify="right")
    t.add_column("train", justify="right")
    t.add_column("overall", no_wrap=True)
    t.add_column("worst class (recall)", no_wrap=True)
    t.add_column("weakest slice (recall)", overflow="fold")
    t.add_column("planned by", overflow="fold")
    for h in history:
        t.add_row(str(h.iteration), str(h.images_added), str(h.train_images),
                  f"{h.overall_name} {h.overall:.3f}",
                  f"{h.worst_class} {h.worst_class_recall:.2f}",
                  f"{h.top_slice} {h.top_slice_recall:.2f}", h.plan_source or "-")
    return t


def _ask_review(ws, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Interactive design review; None leaves the run paused."""
    console.print(Markdown(payload.get("review", "")))
    choice = typer.prompt("approve, reject, edit, or later?", default="approve").strip().lower()
    if choice.startswith("a"):
        return {"action": "approve"}
    if choice.startswith("r"):
        return {"action": "reject", "comment": typer.prompt("what should change?")}
    if choice.startswith("e"):
        from synthloop.tools.design import read_policy_yaml, write_policy_yaml

        path = Path(f"policy-v{payload['policy_version']}.yaml")
        write_policy_yaml(ws.get_policy(payload["policy_version"]), path)
        typer.prompt(f"edit {path} and press Enter", default="", show_default=False)
        return {"action": "edit", "policy": read_policy_yaml(path).model_dump(mode="json")}
    return None


def _report_outcome(ws, out, t0: float, calls_before: int | None = None) -> None:
    if out.paused is not None:
        console.print(f"[yellow]run {out.thread_id} is paused for the design review of policy "
                      f"v{out.paused.get('policy_version')}[/]")
        console.print(f"  approve: synthloop resume {out.thread_id} --approve   "
                      f"reject: synthloop resume {out.thread_id} --reject 'comment'   "
                      f"edit: synthloop resume {out.thread_id} --edit FILE.yaml")
        return
    st = out.state
    console.print(summary_table(history_rows(st)))
    from ..targeting_summary import summarise_targeting, targeting_line, targeting_table

    targeting = summarise_targeting(ws, out.thread_id)
    if targeting.rows:
        console.print(targeting_table(targeting))
        console.print(targeting_line(targeting))
    for note in (st.get("analysis") or {}).get("notes", []):
        console.print(f"analysis: {note}", soft_wrap=True)
    console.print(f"stop reason: [bold]{st.get('stop_reason', '?')}[/]")
    console.print(f"report page: {st.get('report_page', '-')}")
    console.print(f"run {out.thread_id} took {time.time() - t0:.0f} s")
    if calls_before is not None:
        _print_split(ws, out, time.time() - t0, calls_before)


def _print_split(ws, out, total_s: float, calls_before: int) -> None:
    """The stage split, as a line for people and one JSON line (evals/bench_loop.py's)."""
    from ..stage_split import split_line, stage_split

    split = stage_split(ws, out.timings, total_s, calls_before=calls_before)
    console.print(split_line(split), markup=False, soft_wrap=True)
    console.print(json.dumps({"stage_split": split}), markup=False, soft_wrap=True,
                  highlight=False)


def _drive_interactive(ws, ctx, out):
    from ..runner import resume_run

    while out.paused is not None and sys.stdin.isatty():
        answer = _ask_review(ws, out.paused)
        if answer is None:
            break
        out = resume_run(ws, ctx, out.thread_id, answer=answer)
    return out


def _execute(sv, goal: str, settings, thread: str | None) -> None:
    """Start a run on the services' workspace, drive its review pauses, report it."""
    from ..runner import start_run

    ws = sv.workspace
    t0 = time.time()
    calls_before = len(ws.list_llm_calls())
    ctx = loop_context(sv)
    out = start_run(ws, ctx, goal, settings, thread_id=thread)
    out = _drive_interactive(ws, ctx, out)
    _report_outcome(ws, out, t0, calls_before)
