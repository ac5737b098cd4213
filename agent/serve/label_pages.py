"""Label review: the samples verification flagged, with each verifier's reason and the
objects it named; release (the labels are right) or confirm (they are wrong), through the
store calls `synthloop quarantine release|confirm` makes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from synthloop.tools.errors import NotFound, ValidationError

from .app import back, render
from .security import form_of

router = APIRouter()
PER_PAGE = 30
STATUSES = ("quarantined", "released", "confirmed", "all")


@router.get("/labels", response_class=HTMLResponse)
def labels_page(request: Request, status: str = Query("quarantined"),
                page: int = Query(1, ge=1, le=100_000)):
    if status not in STATUSES:
        raise ValidationError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    with request.app.state.desk.read() as sv:
        flags = sv.workspace.list_flags(status=None if status == "all" else status)
    by_sample: dict[str, list] = {}
    for f in sorted(flags, key=lambda f: (f.score, f.sample_id)):
        by_sample.setdefault(f.sample_id, []).append(f)
    ids = list(by_sample)
    pages = max(1, -(-len(ids) // PER_PAGE))
    shown = ids[(page - 1) * PER_PAGE: page * PER_PAGE]
    return render(request, "labels.html", status=status, statuses=STATUSES, page=page,
                  pages=pages, total=len(ids), rows=[(i, by_sample[i]) for i in shown])


@router.post("/labels/{sample_id}/{action}")
def settle(request: Request, sample_id: str, action: str, form: FormData = Depends(form_of)):
    status = {"release": "released", "confirm": "confirmed"}.get(action)
    if status is None:
        raise NotFound(f"no label action {action!r}", "release or confirm")
    with request.app.state.desk.write() as sv:
        sv.workspace.set_flag_status([sample_id], status)  # NotFound for an unflagged id
    back_to = form.get("back")
    return back(back_to if isinstance(back_to, str) and back_to.startswith("/labels")
                and "//" not in back_to else "/labels")
