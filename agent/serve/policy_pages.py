"""Policy review: a version's rules, classes, scenarios (with sample thumbnails) and axes,
the diff against its parent, comments per rule and scenario, approve / reject / edit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from synthloop.tools.errors import NotFound, SynthloopError, ValidationError

from . import forms
from .app import back, png, render
from .images import class_colours, render_previews
from .run_pages import paused_runs
from .security import form_of

router = APIRouter()
THUMBS_ON_POLICY = 6
THUMBS_PER_PAGE = 48


def _desk(request: Request):
    return request.app.state.desk


def _form_str(form: FormData, key: str) -> str:
    v = form.get(key)
    return v if isinstance(v, str) else ""


@router.get("/policy")
def latest(request: Request):
    with _desk(request).read() as sv:
        v = sv.workspace.get_policy().version
    return RedirectResponse(f"/policy/{v}", status_code=303)


@router.get("/policy/{version}", response_class=HTMLResponse)
def policy_page(request: Request, version: int):
    from synthloop.tools.design import diff_policies, lint_policy

    desk = _desk(request)
    with desk.read() as sv:
        ws = sv.workspace
        policy = ws.get_policy(version)
        versions = [v for v, *_ in ws.list_policies()]
        parent = policy.parent_version or (version - 1 if version - 1 in versions else None)
        diff = diff_policies(ws.get_policy(parent), policy) if parent in versions else None
        counts = ws.scenario_sample_counts(version)
        thumbs = {s.id: ws.scenario_samples(version, s.id, limit=THUMBS_ON_POLICY)
                  for s in policy.scenarios if counts.get(s.id)}
        comments = ws.list_comments(version)
        review = ws.review_status(version)
        paused = [t for t, v in paused_runs(ws).items() if v == version]
        findings = lint_policy(policy)
    by_target: dict[tuple[str, str], list] = {}
    for c in comments:
        by_target.setdefault((c.target, c.target_id), []).append(c)
    previews = request.app.state.previews
    preview_jobs = {s.id: desk.active_job("preview", f"{version}:{s.id}")
                    for s in policy.scenarios}
    return render(request, "policy.html", p=policy, versions=versions, parent=parent,
                  diff=diff, counts=counts, thumbs=thumbs, comments=by_target,
                  review=review, paused=paused, findings=findings,
                  previews={s.id: previews.get((version, s.id)) for s in policy.scenarios},
                  preview_jobs=preview_jobs, colours=class_colours(policy),
                  digest=forms.comments_digest(comments, policy))


@router.get("/policy/{version}/scenarios/{scenario_id}", response_class=HTMLResponse)
def scenario_page(request: Request, version: int, scenario_id: str,
                  page: int = Query(1, ge=1, le=100_000)):
    with _desk(request).read() as sv:
        ws = sv.workspace
        policy = ws.get_policy(version)
        scenario = policy.get_scenario(scenario_id)
        if scenario is None:
            raise NotFound(f"policy v{version} has no scenario {scenario_id!r}")
        total = ws.scenario_sample_counts(version).get(scenario_id, 0)
        samples = ws.scenario_samples(version, scenario_id, limit=THUMBS_PER_PAGE,
                                      offset=(page - 1) * THUMBS_PER_PAGE)
    pages = max(1, -(-total // THUMBS_PER_PAGE))
    return render(request, "scenario.html", p=policy, s=scenario, samples=samples,
                  total=total, page=page, pages=pages)


@router.post("/policy/{version}/comments")
def add_comment(request: Request, version: int, form: FormData = Depends(form_of)):
    target = _form_str(form, "target")
    if target not in ("rule", "scenario", "policy"):
        raise ValidationError(f"cannot comment on {target!r}", "on a rule or a scenario")
    target_id = _form_str(form, "target_id")
    with _desk(request).write() as sv:
        sv.workspace.add_comment(version, target, target_id, _form_str(form, "text"),  # type: ignore[arg-type]
                                 author=_form_str(form, "author"))
    return back(f"/policy/{version}#{target}-{target_id}")


@router.post("/policy/{version}/decision")
def decide(request: Request, version: int, form: FormData = Depends(form_of)):
    """Approve or reject. With a run paused at this version, the answer resumes it as
    `synthloop resume THREAD --approve/--reject` does; otherwise it is recorded as
    `synthloop review --approve/--reject` records it."""
    desk = _desk(request)
    action = _form_str(form, "action")
    answer = forms.review_answer(action, _form_str(form, "comment"))
    thread = _form_str(form, "thread")
    if thread:
        with desk.read() as sv:
            at = paused_runs(sv.workspace).get(thread)
        if at != version:
            raise ValidationError(f"run {thread} is not paused at policy v{version}",
                                  "reload its page to see where it stands")
        desk.resume(thread, answer, f"{action} policy v{version}")
        return back(f"/runs/{thread}")
    with desk.write() as sv:
        sv.workspace.record_review(version, "approved" if action == "approve" else "rejected",
                                   answer.get("comment", "")[:2000])
    return back(f"/policy/{version}")


@router.get("/policy/{version}/edit", response_class=HTMLResponse)
def edit_page(request: Request, version: int):
    from synthloop.tools.design import policy_to_yaml

    with _desk(request).read() as sv:
        policy = sv.workspace.get_policy(version)
        paused = [t for t, v in paused_runs(sv.workspace).items() if v == version]
    return render(request, "edit.html", p=policy, paused=paused, yaml_text=policy_to_yaml(policy),
                  blank_rows=forms.blank_axis_rows(policy), error="")


@router.post("/policy/{version}/edit")
def save_edit(request: Request, version: int, form: FormData = Depends(form_of)):
    """A new version from the form (or the YAML box), validated as `policy import`
    validates a file. "resume" also continues the run paused at this version with it, as
    `synthloop resume THREAD --edit FILE` does."""
    from synthloop.tools.design import policy_to_yaml

    desk = _desk(request)
    thread = _form_str(form, "thread")
    with desk.read() as sv:
        original = sv.workspace.get_policy(version)
        paused = [t for t, v in paused_runs(sv.workspace).items() if v == version]
    try:
        data = forms.yaml_to_data(_form_str(form, "yaml"), original) \
            if _form_str(form, "mode") == "yaml" else forms.form_to_data(form, original)
        if thread:
            if thread not in paused:
                raise ValidationError(f"run {thread} is not paused at policy v{version}",
                                      "save the edit as a new version instead")
            policy = forms.validated(data)
            desk.resume(thread, forms.review_answer("edit", policy=policy),
                        f"edit policy v{version}")
            return back(f"/runs/{thread}")
        with desk.write() as sv:
            stored, _findings = forms.import_data(sv.workspace, data)
    except SynthloopError as e:
        if isinstance(e, NotFound):
            raise
        return render(request, "edit.html", status_code=400, p=original, paused=paused,
                      yaml_text=_form_str(form, "yaml") or policy_to_yaml(original),
                      blank_rows=forms.blank_axis_rows(original), error=e.one_line())
    return back(f"/policy/{stored.version}")


@router.post("/policy/{version}/scenarios/{scenario_id}/previews")
def make_previews(request: Request, version: int, scenario_id: str,
                  form: FormData = Depends(form_of)):
    """Draw preview images of a scenario that has no samples yet (in the background; the
    page shows the job's progress)."""
    desk = _desk(request)
    previews = request.app.state.previews
    with desk.read() as sv:
        policy = sv.workspace.get_policy(version)
        config = sv.config.generator
    if policy.get_scenario(scenario_id) is None:
        raise NotFound(f"policy v{version} has no scenario {scenario_id!r}")

    def work(job) -> str:
        shots = render_previews(config, policy, scenario_id, lambda: _tick(job))
        previews[(version, scenario_id)] = shots
        return f"{len(shots)} preview image(s)"
    from .images import PREVIEWS_PER_SCENARIO

    desk.start("preview", f"previews of {scenario_id}", work, key=f"{version}:{scenario_id}",
               total=PREVIEWS_PER_SCENARIO)
    return back(f"/policy/{version}#scenario-{scenario_id}")


def _tick(job) -> None:
    job.done += 1


@router.get("/policy/{version}/scenarios/{scenario_id}/previews/{k}.png")
def preview_png(request: Request, version: int, scenario_id: str, k: int):
    shots = request.app.state.previews.get((version, scenario_id)) or []
    return png(shots[k][0] if 0 <= k < len(shots) else None)


@router.get("/samples/{sample_id}/thumb.png")
def sample_thumb(request: Request, sample_id: str):
    from .images import thumbnail

    cache = request.app.state.thumbs
    hit = cache.peek(sample_id)
    if hit is not None:
        return png(hit)
    with _desk(request).read() as sv:
        ws = sv.workspace
        s = ws.get_sample(sample_id)  # NotFound for an unknown id; the path is the store's
        try:
            policy = ws.get_policy()
        except SynthloopError:
            policy = None
        path = ws.path(s.image)
        data = cache.get(sample_id, lambda: thumbnail(str(path), s.annotations,
                                                      class_colours(policy)))
    return png(data)
