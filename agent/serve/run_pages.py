"""Runs: each run with its iterations, each iteration's plan (targets, evidence,
hypotheses), its report (plots, per-class and per-slice tables, failure gallery); the run's
page polls its status and reloads when the run moves on."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from synthloop.tools.errors import NotFound

from .app import png, render
from .images import REPORT_PICTURES, report_picture

router = APIRouter()
SLICES_PER_PAGE = 50


def paused_runs(ws) -> dict[str, int]:
    """{thread id: policy version under review} for each run waiting for a review."""
    out: dict[str, int] = {}
    if not ws.checkpoint_path.exists():  # no run yet: no need to load LangGraph (~3 s)
        return out
    from ..runner import checkpointer, list_threads

    threads = [t for t in list_threads(ws) if not t.startswith("chat-")]
    if not threads:
        return out
    from ..graph import compile_graph

    with checkpointer(ws) as saver:
        g = compile_graph(saver)
        for t in threads:
            snap = g.get_state({"configurable": {"thread_id": t}})
            for task in snap.tasks:
                for it in task.interrupts:
                    value = it.value if isinstance(it.value, dict) else {}
                    if "policy_version" in value:
                        out[t] = int(value["policy_version"])
    return out


def _status(desk, ws, thread: str) -> dict:
    from ..runner import run_info

    info = run_info(ws, thread)  # NotFound for an unknown thread id
    job = desk.active_job("resume", thread) or next(
        (j for j in reversed(desk.jobs(kind="resume")) if j.thread_id == thread), None)
    out = {"thread_id": thread, "state": info["state"], "next": info["next"],
           "iteration": info["iteration"], "stop_reason": info["stop_reason"],
           "error": info["error"], "paused_at": paused_runs(ws).get(thread),
           "job": job.as_json() if job is not None else None}
    # what the page shows changes with this key: its script reloads when the key does
    out["key"] = "|".join(str(x) for x in (out["state"], out["iteration"], out["paused_at"],
                                           job.state if job else "", job.done if job else "",
                                           len(ws.list_iterations(thread))))
    return out


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request):
    from ..runner import list_threads, run_info

    with request.app.state.desk.read() as sv:
        ws = sv.workspace
        runs = [run_info(ws, t) for t in list_threads(ws) if not t.startswith("chat-")]
        paused = paused_runs(ws)
    return render(request, "runs.html", runs=runs, paused=paused)


@router.get("/runs/{thread}", response_class=HTMLResponse)
def run_page(request: Request, thread: str):
    from ..runner import run_info

    desk = request.app.state.desk
    with desk.read() as sv:
        ws = sv.workspace
        info = run_info(ws, thread)
        status = _status(desk, ws, thread)
        iterations = ws.list_iterations(thread)
        versions = sorted({i.policy_version for i in iterations if i.policy_version}
                          | ({status["paused_at"]} if status["paused_at"] else set()))
        reviews = {v: ws.review_status(v) for v in range(1, max(versions, default=0) + 1)
                   if v in {p for p, *_ in ws.list_policies()}}
    return render(request, "run.html", info=info, status=status, iterations=iterations,
                  reviews=reviews)


@router.get("/runs/{thread}/status.json")
def run_status(request: Request, thread: str):
    desk = request.app.state.desk
    with desk.read() as sv:
        return JSONResponse(_status(desk, sv.workspace, thread))


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: str, page: int = Query(1, ge=1, le=100_000)):
    with request.app.state.desk.read() as sv:
        report = sv.workspace.get_report(report_id)  # NotFound for an unknown id
    slices = report.slices[(page - 1) * SLICES_PER_PAGE: page * SLICES_PER_PAGE]
    pages = max(1, -(-len(report.slices) // SLICES_PER_PAGE))
    return render(request, "report.html", r=report, slices=slices, page=page, pages=pages,
                  pictures=REPORT_PICTURES)


@router.get("/reports/{report_id}/{name}.png")
def report_png(request: Request, report_id: str, name: str):
    if name not in REPORT_PICTURES:
        raise NotFound(f"reports have no picture {name!r}",
                       f"one of: {', '.join(REPORT_PICTURES)}")
    with request.app.state.desk.read() as sv:
        ws = sv.workspace
        report = ws.get_report(report_id)
        data = request.app.state.pictures.get((report.id, name),
                                              lambda: report_picture(ws, report, name))
    return png(data)
