"""Start, resume and list loop runs, durably: LangGraph's SQLite checkpointer in the
workspace, `durability="sync"`, one thread id per run. The default "async" is not safe
against kill -9: killed right as a node started, 0 of 5 runs resumed at that node (earlier
nodes re-ran); with "sync", 5 of 5 did, completed nodes not re-run (measured on this stack;
tests/agent/test_durability.py keeps it true)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from synthloop.tools.errors import NotFound, SynthloopError, ValidationError

from . import run_status
from .context import LoopContext, RunSettings
from .graph import compile_graph
from .nodes.guardrails import check_budget


@dataclass
class RunOutcome:
    thread_id: str
    state: dict[str, Any]
    paused: dict[str, Any] | None = None
    """The interrupt payload when the run waits for a design review."""
    updates: list[str] = field(default_factory=list)
    """Nodes that ran, in order."""
    timings: list[tuple[str, float]] = field(default_factory=list)
    """(node, wall seconds) for each node that ran, in order (the graph is sequential)."""


@contextmanager
def checkpointer(ws):
    conn = sqlite3.connect(ws.checkpoint_path, check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


def _drive(ws, ctx: LoopContext, payload: Any, thread_id: str,
           on_update: Callable[[str, dict], None] | None) -> RunOutcome:
    """Run the graph, recording how the run ended (see run_status.py)."""
    run_status.record(ws, thread_id, "running")
    try:
        out = _stream(ws, ctx, payload, thread_id, on_update)
    except KeyboardInterrupt:
        run_status.record(ws, thread_id, "interrupted", "interrupted (Ctrl-C or SIGTERM)")
        raise
    except SynthloopError as e:
        run_status.record(ws, thread_id, "failed", e.one_line())
        raise
    except BaseException as e:
        run_status.record(ws, thread_id, "failed", f"internal error: {type(e).__name__}: {e}")
        raise
    run_status.record(ws, thread_id, "paused" if out.paused is not None else "done")
    return out


def _stream(ws, ctx: LoopContext, payload: Any, thread_id: str,
            on_update: Callable[[str, dict], None] | None) -> RunOutcome:
    with checkpointer(ws) as saver:
        g = compile_graph(saver)
        cfg = {"configurable": {"thread_id": thread_id}, "recursion_limit": 200}
        out = RunOutcome(thread_id=thread_id, state={})
        t_last = time.perf_counter()
        for chunk in g.stream(payload, cfg, context=ctx, stream_mode="updates", durability="sync"):
            now = time.perf_counter()
            for node, update in chunk.items():
                if node == "__interrupt__":
                    out.paused = update[0].value if update else {}
                    continue
                out.updates.append(node)
                out.timings.append((node, now - t_last))
                if on_update:
                    on_update(node, update or {})
            t_last = time.perf_counter()
        out.state = dict(g.get_state(cfg).values)
        return out


def start_run(ws, ctx: LoopContext, goal: str, settings: RunSettings, *,
              thread_id: str | None = None,
              on_update: Callable[[str, dict], None] | None = None) -> RunOutcome:
    """Start a new run of the loop for `goal`."""
    check_budget(settings)
    thread_id = thread_id or f"run-{uuid.uuid4().hex[:8]}"
    if thread_id in list_threads(ws):
        raise ValidationError(f"run {thread_id} already exists", f"resume it: synthloop resume {thread_id}")
    return _drive(ws, ctx, {"goal": goal, "settings": settings.model_dump(mode="json")},
                  thread_id, on_update)


def resume_run(ws, ctx: LoopContext, thread_id: str, *, answer: Any = None,
               on_update: Callable[[str, dict], None] | None = None) -> RunOutcome:
    """Continue a run from its last checkpoint; `answer` resumes a paused review."""
    info = run_info(ws, thread_id)
    if not info["next"]:
        raise ValidationError(f"run {thread_id} has finished ({info['stop_reason'] or 'done'})",
                              'start a new one: synthloop run "GOAL"')
    payload = Command(resume=answer) if answer is not None else None
    return _drive(ws, ctx, payload, thread_id, on_update)


def latest_resumable(ws) -> tuple[str, list[dict[str, Any]]]:
    """The latest run that `resume` without a thread id continues (paused, killed or
    interrupted; never a failed or a finished one), and the runs started after it."""
    infos = [run_info(ws, t) for t in list_threads(ws) if not t.startswith("chat-")]
    for i in range(len(infos) - 1, -1, -1):
        if infos[i]["resumable"]:
            return infos[i]["thread_id"], infos[i + 1:]
    if not infos:
        raise ValidationError("there is no run to resume", 'start one: synthloop run "GOAL"')
    states = ", ".join(f"{i['thread_id']}: {i['state']}" for i in infos[-3:])
    raise ValidationError(f"no run can be resumed ({states})",
                          'name a failed one to retry it: synthloop resume THREAD; or start one: '
                          'synthloop run "GOAL"')


def list_threads(ws) -> list[str]:
    if not ws.checkpoint_path.exists():
        return []
    con = sqlite3.connect(ws.checkpoint_path)
    try:
        rows = con.execute("SELECT thread_id, MIN(rowid) FROM checkpoints GROUP BY thread_id "
                           "ORDER BY 2").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()
    return [r[0] for r in rows]


def run_info(ws, thread_id: str) -> dict[str, Any]:
    """Where a run stands: next nodes, iteration, stop reason, history."""
    if thread_id not in list_threads(ws):
        raise NotFound(f"no run with thread id {thread_id!r}", "list runs with: synthloop runs")
    with checkpointer(ws) as saver:
        snap = compile_graph(saver).get_state({"configurable": {"thread_id": thread_id}})
    v = snap.values
    paused = any(t.interrupts for t in snap.tasks)
    recorded = run_status.read(ws, thread_id)
    if paused:
        state = "paused (review)"
    elif not snap.next:
        state = "done"
    elif recorded is None:
        state = "running/killed"  # a run from before statuses were recorded
    else:
        state = recorded.status
    return {"thread_id": thread_id, "next": list(snap.next), "paused": paused,
            "state": state, "error": recorded.error if recorded and state == "failed" else "",
            "resumable": bool(snap.next) and state not in ("failed", "running"),
            "goal": v.get("goal", ""), "iteration": v.get("iteration", 0),
            "stop_reason": v.get("stop_reason", ""), "history": v.get("history", []),
            "settings": v.get("settings", {}), "report_page": v.get("report_page", "")}
