"""Policy review pages through the app (no browser): escaping, comments, decisions
without a run, thumbnails a page at a time, and edits validated as `policy import` does."""

from __future__ import annotations

import html
import re

import pytest
import yaml
from starlette.datastructures import FormData

from synthloop.agent.serve import create_app
from synthloop.agent.serve.forms import form_to_data
from synthloop.tools.design import import_policy, policy_to_yaml
from synthloop.tools.errors import ValidationError
from synthloop.tools.store import Workspace
from tests.support.factories import hard_hat_policy
from tests.support.review_desk import HOSTILE, add_samples, client, csrf_of, flag, hostile_policy


def _root(tmp_path, policy=None, samples: int = 0):
    with Workspace.init(tmp_path / "ws") as ws:
        ws.save_policy(policy or hard_hat_policy())
        if samples:
            add_samples(ws, 1, samples)
    return tmp_path / "ws"


def test_markup_and_quotes_from_a_policy_are_escaped_on_every_page(tmp_path):
    root = _root(tmp_path, hostile_policy(), samples=4)
    with Workspace.open(root, write=True) as ws:
        ws.add_comment(1, "scenario", "with_hat", HOSTILE)
        ws.save_flags([flag("smp-00001", reason=HOSTILE)])
    c = client(create_app(root))
    for url in ("/", "/policy/1", "/policy/1/edit", "/policy/1/scenarios/with_hat",
                "/labels", "/runs"):
        html = c.get(url).text
        assert "<script>alert" not in html and 'id="injected"' not in html, url
        assert html.count("<script") == 1, url  # the desk's own script only
    page = c.get("/policy/1").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; it&#39;s a &#34;quote&#34; &amp;" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page  # the axis value
    assert "&lt;script&gt;" in c.get("/labels").text  # a verifier's reason
    # inside an attribute (the edit form's values) quotes cannot close it
    edit = c.get("/policy/1/edit").text
    assert re.search(r'value="Hats &lt;script&gt;alert\(&#34;x&#34;\)', edit)


def test_a_comment_on_a_rule_is_stored_and_shown(tmp_path):
    root = _root(tmp_path)
    c = client(create_app(root))
    r = c.post("/policy/1/comments", data={"csrf": csrf_of(c), "target": "rule",
                                           "target_id": "R1", "text": "  say 'site' not 'bay'  "})
    assert r.status_code == 303 and r.headers["location"] == "/policy/1#rule-R1"
    with Workspace.open(root) as ws:
        (cm,) = ws.list_comments(1)
    assert (cm.target, cm.target_id, cm.text) == ("rule", "R1", "say 'site' not 'bay'")
    page = c.get("/policy/1").text
    assert "say &#39;site&#39; not &#39;bay&#39;" in page
    assert "rule R1: say &#39;site&#39; not &#39;bay&#39;</textarea>" in page  # the decision box


@pytest.mark.parametrize("target, target_id, text, needle", [
    ("rule", "R9", "x", "has no rule &#39;R9&#39;"),
    ("scenario", "R1", "x", "has no scenario &#39;R1&#39;"),
    ("rule", "R1", "   ", "a comment needs some text"),
    ("axis", "lighting", "x", "cannot comment on &#39;axis&#39;"),
])
def test_a_bad_comment_is_one_clear_message_and_nothing_stored(tmp_path, target, target_id,
                                                              text, needle):
    root = _root(tmp_path)
    c = client(create_app(root))
    r = c.post("/policy/1/comments", data={"csrf": csrf_of(c), "target": target,
                                           "target_id": target_id, "text": text})
    assert r.status_code == 400 and needle in r.text
    with Workspace.open(root) as ws:
        assert ws.list_comments(1) == []


def test_a_decision_without_a_paused_run_is_recorded_like_synthloop_review(tmp_path):
    root = _root(tmp_path)
    c = client(create_app(root))
    r = c.post("/policy/1/decision", data={"csrf": csrf_of(c), "action": "reject", "comment": ""})
    assert r.status_code == 400 and "a rejection needs a comment" in r.text
    c.post("/policy/1/decision", data={"csrf": csrf_of(c), "action": "reject",
                                       "comment": "add vests"})
    with Workspace.open(root) as ws:
        assert ws.review_status(1) == ("rejected", "add vests")
    c.post("/policy/1/decision", data={"csrf": csrf_of(c), "action": "approve", "comment": ""})
    with Workspace.open(root) as ws:
        assert ws.is_approved(1)
    r = c.post("/policy/1/decision", data={"csrf": csrf_of(c), "action": "approve",
                                           "thread": "run-nope"})
    assert r.status_code == 400 and "run run-nope is not paused at policy v1" in r.text


def test_thumbnails_come_a_page_at_a_time(tmp_path):
    root = _root(tmp_path, samples=120)  # 60 per scenario
    c = client(create_app(root))
    page = c.get("/policy/1").text
    assert page.count('src="/samples/') == 12  # six per scenario on the policy page
    assert "all 60 sample(s) of this scenario" in page
    first = c.get("/policy/1/scenarios/with_hat").text
    second = c.get("/policy/1/scenarios/with_hat?page=2").text
    ids = lambda html: re.findall(r'src="/samples/([^/]+)/thumb.png"', html)  # noqa: E731
    assert len(ids(first)) == 48 and len(ids(second)) == 12
    assert not set(ids(first)) & set(ids(second))
    assert "page 2 of 2" in second
    assert c.get("/policy/1/scenarios/with_hat?page=0").status_code == 422
    thumb = c.get(f"/samples/{ids(first)[0]}/thumb.png")
    assert thumb.status_code == 200 and thumb.content[:8] == b"\x89PNG\r\n\x1a\n"


def _edit_form(policy, **changes) -> dict:
    """The edit page's form as a browser would send it, with `changes` (input name ->
    value) typed in."""
    data = {"mode": "form", "f:title": policy.title, "f:goal": policy.goal,
            "f:context": policy.context, "f:hard_cases~lines": "\n".join(policy.hard_cases)}
    for i, c in enumerate(policy.classes):
        data |= {f"f:classes.{i}.name": c.name, f"f:classes.{i}.appears": c.appears,
                 f"f:classes.{i}.description": c.description}
    for i, r in enumerate(policy.rules):
        data |= {f"f:rules.{i}.id": r.id, f"f:rules.{i}.severity": r.severity,
                 f"f:rules.{i}.text": r.text, f"f:rules.{i}.classes~lines": "\n".join(r.classes),
                 f"f:rules.{i}.compliant": r.compliant, f"f:rules.{i}.violating": r.violating}
    for i, s in enumerate(policy.scenarios):
        data |= {f"f:scenarios.{i}.id": s.id, f"f:scenarios.{i}.rule_id": s.rule_id or "",
                 f"f:scenarios.{i}.kind": s.kind, f"f:scenarios.{i}.weight": str(s.weight),
                 f"f:scenarios.{i}.risk": s.risk, f"f:scenarios.{i}.label": s.label or "",
                 f"f:scenarios.{i}.description": s.description,
                 f"f:scenarios.{i}.classes~counts": "".join(f"{c.name}: {c.count}\n"
                                                           for c in s.classes)}
    for i, a in enumerate(policy.axes):
        data |= {f"f:axes.{i}.name": a.name, f"f:axes.{i}.fairness~bool": "false"}
        for j, v in enumerate([*a.values, None]):
            data |= {f"f:axes.{i}.values.{j}.value": v.value if v else "",
                     f"f:axes.{i}.values.{j}.weight": str(v.weight) if v else ""}
    return data | changes


def test_the_edit_form_unchanged_gives_the_same_policy(tmp_path):
    root = _root(tmp_path)
    c = client(create_app(root))
    with Workspace.open(root) as ws:
        p = ws.get_policy(1)
    r = c.post("/policy/1/edit", data={"csrf": csrf_of(c), **_edit_form(p)})
    assert r.status_code == 303 and r.headers["location"] == "/policy/2"
    with Workspace.open(root) as ws:
        v2 = ws.get_policy(2)
    assert v2.parent_version == 1 and v2.content_hash() == p.content_hash()


def test_an_edit_adds_removes_and_reweights_axis_values(tmp_path):
    root = _root(tmp_path)
    c = client(create_app(root))
    with Workspace.open(root) as ws:
        p = ws.get_policy(1)
    form = _edit_form(p, **{"f:axes.0.values.0.value": "",  # clear 'day': removed
                            "f:axes.0.values.1.weight": "2", "f:axes.0.values.2.value": "dusk",
                            "f:axes.0.fairness~bool": ["false", "true"]})
    c.post("/policy/1/edit", data={"csrf": csrf_of(c), **form})
    with Workspace.open(root) as ws:
        axis = ws.get_policy(2).get_axis("lighting")
    assert [(v.value, v.weight) for v in axis.values] == [("night", 2.0), ("dusk", 1.0)]
    assert axis.fairness is True


@pytest.mark.parametrize("changes", [
    {"f:rules.0.text": ""},                          # the schema: a rule needs text
    {"f:rules.0.classes~lines": "person\nunicorn"},  # lint: an unknown class
    {"f:axes.0.values.1.weight": "-1"},              # the schema: weights are > 0
    {"f:classes.1.name": "Hard Hat"},                # the schema: snake_case names
])
def test_an_invalid_edit_is_refused_with_the_message_policy_import_gives(tmp_path, changes):
    root = _root(tmp_path)
    app = create_app(root)
    c = client(app)
    with Workspace.open(root) as ws:
        p = ws.get_policy(1)
    form = _edit_form(p, **changes)
    r = c.post("/policy/1/edit", data={"csrf": csrf_of(c), **form})
    assert r.status_code == 400
    shown = re.search(r'<p class="error" id="error">(.*?)</p>', r.text, re.S).group(1)
    # the same data through `synthloop policy import`'s code gives the same message
    data = form_to_data(FormData([(k, v) for k, vs in form.items()
                                  for v in (vs if isinstance(vs, list) else [vs])]), p)
    path = tmp_path / "edit-form.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with Workspace.open(root, write=True) as ws, pytest.raises(ValidationError) as e:
        import_policy(ws, path)
    assert html.unescape(shown) == e.value.one_line()
    with Workspace.open(root) as ws:
        assert len(ws.list_policies()) == 1  # nothing stored


def test_the_yaml_box_imports_a_new_version(tmp_path):
    root = _root(tmp_path)
    c = client(create_app(root))
    with Workspace.open(root) as ws:
        text = policy_to_yaml(ws.get_policy(1)).replace("Hard hats on site", "Hats, by YAML")
    r = c.post("/policy/1/edit", data={"csrf": csrf_of(c), "mode": "yaml", "yaml": text})
    assert r.status_code == 303
    with Workspace.open(root) as ws:
        assert ws.get_policy(2).title == "Hats, by YAML" and ws.get_policy(2).parent_version == 1
    r = c.post("/policy/1/edit", data={"csrf": csrf_of(c), "mode": "yaml",
                                       "yaml": "title: [unclosed"})
    assert r.status_code == 400 and "the YAML box: not valid YAML" in r.text


def test_previews_are_drawn_for_a_scenario_without_samples_and_never_stored(tmp_path):
    root = _root(tmp_path)
    app = create_app(root)
    c = client(app)
    assert "Draw preview images" in c.get("/policy/1").text
    r = c.post("/policy/1/scenarios/no_hat/previews", data={"csrf": csrf_of(c)})
    assert r.status_code == 303
    assert app.state.desk.wait(120)
    (job,) = app.state.desk.jobs(kind="preview")
    assert (job.state, job.done, job.total) == ("done", 6, 6), job.error
    assert c.get(f"/jobs/{job.id}.json").json()["state"] == "done"
    page = c.get("/policy/1").text
    assert page.count('/policy/1/scenarios/no_hat/previews/') == 6
    assert c.get("/policy/1/scenarios/no_hat/previews/5.png").content[:4] == b"\x89PNG"
    assert c.get("/policy/1/scenarios/no_hat/previews/6.png").status_code == 404
    assert c.get("/policy/1/scenarios/with_hat/previews/0.png").status_code == 404
    with Workspace.open(root) as ws:
        assert ws.counts()["samples"] == 0 and ws.counts()["specs"] == 0
