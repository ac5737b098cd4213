"""`synthloop run`, `resume`, `runs` and `demo`: the autonomous improvement loop."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from synthloop.tools.config import Planner, load_config, with_overrides
from synthloop.tools.errors import ValidationError

from ..context import RunSettings
from ..state import HistoryRow, history_rows
from .app import STATE, app, console


def _context(ws, *, progress: bool = True):
    from ..context import LoopContext
    from ..llm import get_llm

    return LoopContext(workspace=ws, llm=get_llm(load_config(ws.root).llm, workspace=ws),
                       console=console, progress=progress)


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


def _report_outcome(ws, out, t0: float) -> None:
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


def _drive_interactive(ws, ctx, out):
    from ..runner import resume_run

    while out.paused is not None and sys.stdin.isatty():
        answer = _ask_review(ws, out.paused)
        if answer is None:
            break
        out = resume_run(ws, ctx, out.thread_id, answer=answer)
    return out


class RunPlanner(StrEnum):
    """The planners a person may choose (`oracle` is a benchmark arm: it needs a slice)."""

    llm = Planner.llm.value
    allocator = Planner.allocator.value
    uniform = Planner.uniform.value


@app.command()
def run(
    goal: str = typer.Argument(..., help="The compliance goal, in your words."),
    iterations: int | None = typer.Option(None, help="Targeted iterations after the first."),
    budget: int | None = typer.Option(None, help="Total image budget for the run (every image "
                                      "generated counts, holdout and validation included)."),
    per_iteration: int | None = typer.Option(None, help="Images added per targeted iteration."),
    initial: int | None = typer.Option(None, help="Images in the initial training set."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Skip the review pause (recorded)."),
    generator: str | None = typer.Option(None, help="procedural | diffusers | gligen"),
    model: str | None = typer.Option(None, help="Diffusers model folder or hub id."),
    eval_set: Path | None = typer.Option(None, help="Folder of real holdout images (YOLO labels)."),
    policy: Path | None = typer.Option(None, help="Use this policy YAML instead of drafting one."),
    example: str | None = typer.Option(None, help="Use a built-in example policy (e.g. ppe)."),
    planner: RunPlanner | None = typer.Option(None, help="Who chooses the targeted data "
                                            "(default: [loop] planner, llm)."),
    epochs: int | None = typer.Option(None, help="Training epochs per iteration."),
    imgsz: int | None = typer.Option(None, help="Training image size."),
    thread: str | None = typer.Option(None, help="Thread id for the run (default: new)."),
) -> None:
    """Run the autonomous improvement loop for GOAL."""
    from synthloop.tools.design import example_names

    from ..nodes.guardrails import check_budget

    if not goal.strip():
        raise ValidationError("the goal is empty", 'say what must be true, e.g. "workers wear a hard hat"')
    if eval_set is not None and not eval_set.is_dir():
        raise ValidationError(f"eval set {eval_set} is not a folder", "give a folder of images")
    if policy is not None and not policy.is_file():
        raise ValidationError(f"policy file {policy} does not exist", "export one: synthloop policy export")
    if example is not None and example not in example_names():
        raise ValidationError(f"no example policy {example!r}",
                              f"choose one of: {', '.join(example_names())}")
    # everything is checked before the workspace is created: a mistyped -w path stays absent
    root = STATE.workspace if (STATE.workspace / "synthloop.toml").is_file() else None
    options = {
        "loop": {"iterations": iterations, "total_images": budget,
                 "images_per_iteration": per_iteration, "initial_images": initial,
                 "planner": planner.value if planner else None},
        "generator": {"name": generator, "model": model},
        "training": {"epochs": epochs, "imgsz": imgsz},
    }
    cfg = with_overrides(load_config(root), options, "the command line", labels=_OPTION,
                         hint="see: synthloop run --help")
    settings = RunSettings.from_config(
        cfg, auto_approve=auto_approve, eval_set=str(eval_set.resolve()) if eval_set else None,
        policy_file=str(policy.resolve()) if policy else None, example_policy=example)
    check_budget(settings)
    ws = _open_for_run()
    with ws:
        _execute(ws, goal, settings, thread)


# the options of `run` by the setting each overrides (for one-line errors that name them)
_OPTION = {"loop.iterations": "--iterations", "loop.total_images": "--budget",
           "loop.images_per_iteration": "--per-iteration", "loop.initial_images": "--initial",
           "generator.name": "--generator", "generator.model": "--model",
           "training.epochs": "--epochs", "training.imgsz": "--imgsz"}


def _open_for_run():
    from synthloop.tools.offline import use_workspace_config_dir
    from synthloop.tools.store import Workspace

    from .app import setup_logging

    ws = Workspace.init(STATE.workspace)
    setup_logging(ws.log_path, STATE.verbose)
    use_workspace_config_dir(ws.root)
    return ws


def _execute(ws, goal: str, settings, thread: str | None) -> None:
    from ..runner import start_run

    t0 = time.time()
    ctx = _context(ws)
    out = start_run(ws, ctx, goal, settings, thread_id=thread)
    out = _drive_interactive(ws, ctx, out)
    _report_outcome(ws, out, t0)


@app.command()
def resume(
    thread: str | None = typer.Argument(None, help="Thread id (default: the latest run)."),
    approve: bool = typer.Option(False, "--approve", help="Approve the paused policy."),
    reject: str | None = typer.Option(None, "--reject", help="Reject with this comment."),
    edit: Path | None = typer.Option(None, "--edit", help="Continue with this edited policy YAML."),
) -> None:
    """Continue a run from its last checkpoint (after a crash, or a review pause)."""
    from ..runner import latest_resumable, resume_run, run_info
    from .app import open_workspace

    with open_workspace(write=True) as ws:
        if thread is None:
            thread, later = latest_resumable(ws)
            after = ", ".join(f"{i['thread_id']}: {i['state']}" for i in later)
            skipped = f" (later runs are not resumable: {after})" if later else ""
            console.print(f"the latest resumable run is {thread}{skipped}", soft_wrap=True)
        info = run_info(ws, thread)
        answer = None
        if approve or reject is not None or edit is not None:
            if not info["paused"]:
                raise ValidationError(f"run {thread} is not waiting for a review",
                                      "resume it without --approve/--reject/--edit")
            if edit is not None:
                from synthloop.tools.design import read_policy_yaml

                answer = {"action": "edit", "policy": read_policy_yaml(edit).model_dump(mode="json")}
            elif reject is not None:
                answer = {"action": "reject", "comment": reject}
            else:
                answer = {"action": "approve"}
        t0 = time.time()
        ctx = _context(ws)
        console.print(f"resuming {thread} at {', '.join(info['next']) or '-'}")
        out = resume_run(ws, ctx, thread, answer=answer)
        out = _drive_interactive(ws, ctx, out)
        _report_outcome(ws, out, t0)


@app.command()
def runs() -> None:
    """List the runs (threads) of this workspace and where each stands."""
    from ..runner import list_threads, run_info
    from .app import open_workspace

    with open_workspace(write=False) as ws:
        t = Table(title="runs", title_justify="left")
        for col in ("thread", "goal", "iteration", "state", "stop reason / next"):
            t.add_column(col)
        for th in list_threads(ws):
            if th.startswith("chat-"):
                continue
            i = run_info(ws, th)
            state = f"failed: {i['error']}" if i["error"] else i["state"]
            t.add_row(th, i["goal"][:40], str(i["iteration"]), state,
                      i["stop_reason"] or ", ".join(i["next"]))
        console.print(t)


@app.command()
def demo(
    iterations: int = typer.Option(2, help="Targeted iterations after the first."),
) -> None:
    """The README's main job: the full loop on embedded defaults (local LLM, procedural
    images, CPU training) for a built-in goal, with settings sized for a 2-core machine."""
    from ..demo import DEMO_GOAL, demo_settings

    ws = _open_for_run()
    with ws:
        console.print(f"[bold]synthloop demo[/]: {DEMO_GOAL!r} in workspace {ws.root}")
        _execute(ws, DEMO_GOAL, demo_settings(load_config(ws.root), iterations=iterations), None)
