"""Runs, reports and label review through the app (no browser): a paused run resumed by
a decision as `synthloop resume` resumes it, a report's tables and pictures, the labels'
release and confirm."""

from __future__ import annotations

import pytest

from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.runner import run_info, start_run
from synthloop.agent.serve import create_app
from synthloop.tools.design import policy_to_yaml
from synthloop.tools.models import LoopIteration
from synthloop.tools.store import Workspace
from tests.support.factories import hard_hat_policy, make_dataset, make_report, make_run
from tests.support.llm_replies import HARD_HAT_DRAFT
from tests.support.lock_holder import start_lock_holder
from tests.support.loop import quiet_context, tiny_settings
from tests.support.review_desk import add_samples, client, csrf_of, flag


def test_a_rejection_resumes_the_paused_run_back_to_drafting(tmp_path):
    root = tmp_path / "ws"
    llm = ScriptedLLM([HARD_HAT_DRAFT, {**HARD_HAT_DRAFT, "title": "Hats and vests"}])
    with Workspace.init(root) as ws:
        start_run(ws, quiet_context(ws, llm), "hard hats",
                  tiny_settings(iterations=0, auto_approve=False), thread_id="t-1")
    app = create_app(root, llm=llm)
    c = client(app)
    assert c.get("/runs/t-1/status.json").json()["paused_at"] == 1
    assert "review v1" in c.get("/runs").text
    r = c.post("/policy/1/decision", data={"csrf": csrf_of(c), "action": "reject",
                                           "comment": "add vests", "thread": "t-1"})
    assert r.status_code == 303 and r.headers["location"] == "/runs/t-1"
    assert app.state.desk.wait(120)
    status = c.get("/runs/t-1/status.json").json()
    assert status["paused_at"] == 2 and status["job"]["state"] == "done"
    assert "paused again for the review of policy v2" in status["job"]["message"]
    drafts = [x for x in llm.calls if x.template == "draft_policy"]
    assert drafts[1].variables["feedback"] == "add vests"
    with Workspace.open(root) as ws:
        assert ws.review_status(1) == ("rejected", "add vests")
        assert ws.get_policy(2).title == "Hats and vests"
    # a second decision on the old version is refused: the run waits at v2 now
    r = c.post("/policy/1/decision", data={"csrf": csrf_of(c), "action": "approve",
                                           "thread": "t-1"})
    assert r.status_code == 400 and "not paused at policy v1" in r.text
    page = c.get("/runs/t-1").text
    assert "policy v2</a>: approve, reject or edit it there" in page


def test_an_unknown_run_or_report_is_404(tmp_path):
    with Workspace.init(tmp_path / "ws"):
        pass
    c = client(create_app(tmp_path / "ws"))
    r = c.get("/runs/nope")
    assert r.status_code == 404 and "no run with thread id" in r.text
    assert c.get("/reports/nope").status_code == 404
    assert c.get("/jobs/nope.json").status_code == 404


def test_a_run_page_shows_each_iteration_plan_and_its_report(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        ws.save_policy(hard_hat_policy())
        samples = add_samples(ws, 1, 6)
        ds = ws.save_dataset(make_dataset([s.id for s in samples]))
        run = ws.save_train_run(make_run(ds.id))
        report = ws.save_report(make_report(run.id))
        plan = {"source": "llm", "rationale": "night is where hats vanish", "floor": 2,
                "targets": [{"axis": "lighting", "value": "night", "cls": "hard_hat",
                             "count": 10, "evidence": "recall 0.20 on 5 hats",
                             "hypothesis": "hats are dark at <night>"}],
                "dropped": ["C9: not a candidate"]}
        ws.save_iteration(LoopIteration(thread_id="t-9", number=1, policy_version=1,
                                        plan=plan, plan_source="llm", images_added=12,
                                        report_id=report.id, metrics={"map50": 0.5}))
    app = create_app(root)
    c = client(app)
    with Workspace.open(root) as ws:
        its = ws.list_iterations("t-9")
    # the run's page renders this part for its stored iterations
    html = app.state.env.get_template("iterations.html").render(iterations=its)
    for text in ("Iteration 1", "lighting=night × hard_hat", "recall 0.20 on 5 hats",
                 "hats are dark at &lt;night&gt;", "night is where hats vanish",
                 "refused: C9: not a candidate", "2 image(s) spread over all scenarios",
                 f'href="/reports/{report.id}"'):
        assert text in html, text
    r = c.get(f"/reports/{report.id}")
    assert r.status_code == 200
    assert "lighting=night" in r.text and "0.200" in r.text
    for name in ("classes", "confusion"):
        png = c.get(f"/reports/{report.id}/{name}.png")
        assert png.status_code == 200 and png.content[:4] == b"\x89PNG", name
    # a picture this report cannot have (one slice, no failing image files) is a 404
    assert c.get(f"/reports/{report.id}/slices.png").status_code == 404
    assert c.get(f"/reports/{report.id}/secrets.png").status_code == 404


def test_labels_are_released_and_confirmed_through_the_quarantine_store(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        ws.save_policy(hard_hat_policy())
        add_samples(ws, 1, 3)
        ws.save_flags([flag("smp-00000"), flag("smp-00001")])
    c = client(create_app(root))
    page = c.get("/labels").text
    assert "2 sample(s)" in page and "no hard_hat found where one is labelled" in page
    r = c.post("/labels/smp-00000/release", data={"csrf": csrf_of(c),
                                                  "back": "/labels?status=all"})
    assert r.status_code == 303 and r.headers["location"] == "/labels?status=all"
    c.post("/labels/smp-00001/confirm", data={"csrf": csrf_of(c), "back": "//evil.example"})
    with Workspace.open(root) as ws:
        assert {f.sample_id: f.status for f in ws.list_flags()} == {
            "smp-00000": "released", "smp-00001": "confirmed"}
    r = c.post("/labels/smp-00002/release", data={"csrf": csrf_of(c)})
    assert r.status_code == 404 and "no flag for sample" in r.text
    assert c.post("/labels/smp-00000/delete", data={"csrf": csrf_of(c)}).status_code == 404
    assert c.get("/labels?status=bogus").status_code == 400


def test_a_run_started_elsewhere_shows_its_state_and_a_locked_workspace_is_one_message(tmp_path):
    root = tmp_path / "ws"
    llm = ScriptedLLM([HARD_HAT_DRAFT])
    with Workspace.init(root) as ws:
        start_run(ws, quiet_context(ws, llm), "hard hats",
                  tiny_settings(iterations=0, auto_approve=False), thread_id="t-2")
        assert run_info(ws, "t-2")["paused"]
    c = client(create_app(root))
    holder = start_lock_holder(root)  # a run in a terminal, say
    try:
        assert "paused" in c.get("/runs/t-2").text  # reading needs no lock
        r = c.post("/policy/1/comments", data={"csrf": csrf_of(c), "target": "rule",
                                               "target_id": "R1", "text": "x"})
        assert r.status_code == 409 and f"in use by pid {holder.pid}" in r.text
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_an_edit_resumes_the_paused_run_with_the_new_version(tmp_path):
    root = tmp_path / "ws"
    llm = ScriptedLLM([])  # the example policy is the draft: no LLM call
    with Workspace.init(root) as ws:
        start_run(ws, quiet_context(ws, llm), "ppe",
                  tiny_settings(iterations=0, auto_approve=False, example_policy="ppe"),
                  thread_id="t-edit")
        edited = ws.get_policy(1).model_copy(update={"title": "Site PPE, edited"})
        yaml_text = policy_to_yaml(edited)
    app = create_app(root, llm=llm)
    c = client(app)
    r = c.post("/policy/1/edit", data={"csrf": csrf_of(c), "mode": "yaml", "yaml": yaml_text,
                                       "thread": "t-edit"})
    assert r.status_code == 303 and r.headers["location"] == "/runs/t-edit"
    assert app.state.desk.wait(600)
    (job,) = app.state.desk.jobs(kind="resume")
    assert job.state == "done", job.error
    with Workspace.open(root) as ws:
        info = run_info(ws, "t-edit")
        v2 = ws.get_policy(2)
        assert info["state"] == "done"
        assert v2.title == "Site PPE, edited" and v2.parent_version == 1
        assert ws.review_status(2)[0] == "approved"  # as `resume --edit` records it
        assert ws.counts()["samples"] > 0
