"""`synthloop resume [THREAD]`: continue a run from its last checkpoint."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from synthloop.tools.errors import ValidationError

from . import loop_view
from .app import NO_CACHE_HELP, console, services


def resume(
    thread: str | None = typer.Argument(None, help="Thread id (default: the latest run)."),
    approve: bool = typer.Option(False, "--approve", help="Approve the paused policy."),
    reject: str | None = typer.Option(None, "--reject", help="Reject with this comment."),
    edit: Path | None = typer.Option(None, "--edit", help="Continue with this edited policy YAML."),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
) -> None:
    """Continue a run from its last checkpoint (after a crash, or a review pause)."""
    from ..runner import latest_resumable, resume_run, run_info
    with services(write=True, no_cache=no_cache) as sv:
        ws = sv.workspace
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
        ctx = loop_view.loop_context(sv)
        console.print(f"resuming {thread} at {', '.join(info['next']) or '-'}")
        out = resume_run(ws, ctx, thread, answer=answer)
        out = loop_view._drive_interactive(ws, ctx, out)
        loop_view._report_outcome(ws, out, t0)
