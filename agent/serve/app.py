"""`create_app(root)`: the review desk's FastAPI app.

    app = create_app("my-workspace")                      # bound to localhost: no token
    app = create_app("my-workspace", token=new_token())   # any other bind: token required
    uvicorn.run(app, host="127.0.0.1", port=8765)

Templates and static files ship inside the package (no build step, no CDN).
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from synthloop.tools.errors import NotFound, SynthloopError, UserError, WorkspaceLocked

from .desk import Desk
from .images import Cache
from .security import CSRF_FIELD, Guard

if TYPE_CHECKING:
    from ..llm import BaseLLM

log = logging.getLogger("synthloop.serve")
_HERE = Path(str(resources.files("synthloop.agent.serve")))


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "n/a" if x is None else f"{100 * x:.0f} %"
    env.filters["f3"] = lambda x: "n/a" if x is None else f"{x:.3f}"
    return env


def create_app(root: str | Path, *, llm: BaseLLM | None = None, token: str | None = None,
               port: int = 0) -> FastAPI:
    """The app serving the workspace at `root`. `token`: required on every request (give
    one whenever the bind is not a loopback address); `llm` replaces the configured LLM
    (tests); `port` names the token cookie."""
    from . import label_pages, policy_pages, run_pages

    desk = Desk(root, llm=llm)
    app = FastAPI(title="synthloop review desk", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.desk = desk
    app.state.env = _env()
    app.state.thumbs = Cache(4096)
    app.state.previews = {}  # (version, scenario) -> [(png, caption)]
    app.state.pictures = Cache(256)
    app.add_middleware(Guard, token=token, port=port)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    for module in (policy_pages, run_pages, label_pages):
        app.include_router(module.router)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        from ..runner import list_threads, run_info

        with desk.read() as sv:
            ws = sv.workspace
            versions = ws.list_policies()
            runs = [run_info(ws, t) for t in list_threads(ws) if not t.startswith("chat-")]
            flags = len(ws.list_flags(status="quarantined"))
            counts = ws.sample_counts_by_split()
        return render(request, "home.html", versions=versions, runs=runs, flags=flags,
                      counts=counts, root=str(desk.root))

    @app.get("/jobs/{job_id}.json")
    def job_status(job_id: str):
        job = desk.job(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}", "it ended before this desk was restarted")
        return JSONResponse(job.as_json())

    @app.exception_handler(SynthloopError)
    def synthloop_error(request: Request, e: SynthloopError):
        status = 409 if isinstance(e, WorkspaceLocked) else 404 if isinstance(e, NotFound) \
            else 400 if isinstance(e, UserError) else 502
        return render(request, "error.html", status_code=status, message=e.message,
                      hint=e.hint or "")

    @app.exception_handler(HTTPException)
    def http_error(request: Request, e: HTTPException):
        return render(request, "error.html", status_code=e.status_code, message=str(e.detail),
                      hint="")

    return app


def render(request: Request, name: str, *, status_code: int = 200, **ctx: Any) -> Response:
    """A page from templates/, with the CSRF token every form embeds."""
    env: jinja2.Environment = request.app.state.env
    html = env.get_template(name).render(
        request=request, csrf=getattr(request.state, "csrf", ""), csrf_field=CSRF_FIELD,
        **ctx)
    return HTMLResponse(html, status_code=status_code)


def back(url: str) -> RedirectResponse:
    """After a POST: see the page again (303, so a reload does not submit twice)."""
    return RedirectResponse(url, status_code=303)


def png(data: bytes | None) -> Response:
    if data is None:
        raise NotFound("no such picture")
    return Response(data, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})
