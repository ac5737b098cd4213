"""The desk's safety: the Host check on loopback binds, the token elsewhere (401 without
it, compared in constant time), CSRF on every form, the headers that keep pages inert."""

from __future__ import annotations

import pytest

from synthloop.agent.serve import create_app, security
from synthloop.tools.store import Workspace
from tests.support.factories import hard_hat_policy
from tests.support.review_desk import add_samples, client, csrf_of, flag


@pytest.fixture
def root(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        ws.save_policy(hard_hat_policy())
        add_samples(ws, 1, 4)
        ws.save_flags([flag("smp-00000")])
    return tmp_path / "ws"


def test_a_loopback_bind_answers_only_requests_for_localhost(root):
    app = create_app(root)
    assert client(app).get("/").status_code == 200
    assert client(app, host="localhost:8765").get("/policy/1").status_code == 200
    # a page elsewhere reaching 127.0.0.1 through a rebound DNS name is refused
    r = client(app, host="attacker.example").get("/policy/1")
    assert r.status_code == 421 and "Hard hats" not in r.text


@pytest.mark.parametrize("path", ["/", "/policy/1", "/runs", "/labels", "/static/desk.css",
                                  "/samples/smp-00000/thumb.png"])
def test_a_non_local_bind_without_the_token_gets_401(root, path):
    c = client(create_app(root, token="s3cret-token", port=9000), host="10.1.2.3:9000")
    r = c.get(path)
    assert r.status_code == 401 and "token" in r.text
    assert c.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get(path + "?token=wrong").status_code == 401
    assert c.get(path, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def test_the_token_in_the_url_becomes_a_cookie_and_leaves_the_url(root):
    c = client(create_app(root, token="s3cret-token", port=9000), host="10.1.2.3:9000")
    r = c.get("/labels?status=all&token=s3cret-token")
    assert r.status_code == 303 and r.headers["location"] == "/labels?status=all"
    assert "httponly" in r.headers["set-cookie"].lower()
    assert c.get("/labels?status=all").status_code == 200  # the cookie carries it now
    c.cookies.clear()
    assert c.get("/labels").status_code == 401


def test_tokens_are_compared_in_constant_time(root, monkeypatch):
    seen = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest",
                        lambda a, b: seen.append((a, b)) or real(a, b))
    c = client(create_app(root, token="s3cret-token", port=9000), host="10.1.2.3:9000")
    assert c.get("/", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert (b"nope", b"s3cret-token") in seen


def _post_routes(app):
    from synthloop.agent.serve import label_pages, policy_pages, run_pages

    routers = [app.router] + [m.router for m in (policy_pages, run_pages, label_pages)]
    for router in routers:
        for r in router.routes:
            if "POST" in (getattr(r, "methods", None) or set()):
                yield r.path


FILL = {"version": "1", "scenario_id": "with_hat", "sample_id": "smp-00000",
        "action": "release", "thread": "t-1"}


def test_every_form_is_refused_without_its_csrf_token(root):
    app = create_app(root)
    paths = sorted(_post_routes(app))
    assert len(paths) == 5  # comments, decision, edit, previews, label release/confirm
    c = client(app)
    good = csrf_of(c)
    for path in paths:
        url = path.format(**FILL)
        data = {"target": "rule", "target_id": "R1", "text": "x", "action": "approve"}
        assert c.post(url, data=data).status_code == 403, url
        assert c.post(url, data={**data, "csrf": "forged"}).status_code == 403, url
        c2 = client(app)  # another browser: a token without its cookie
        assert c2.post(url, data={**data, "csrf": good}).status_code == 403, url
    with Workspace.open(root) as ws:
        assert ws.list_comments(1) == [] and ws.review_status(1) is None
        assert [f.status for f in ws.list_flags()] == ["quarantined"]
        assert len(ws.list_policies()) == 1


def test_pages_carry_headers_that_keep_them_inert(root):
    r = client(create_app(root)).get("/policy/1")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_nothing_is_read_by_a_path_from_the_request(root):
    c = client(create_app(root))
    for url in ("/samples/..%2F..%2Fsynthloop.db/thumb.png", "/samples/nope/thumb.png",
                "/reports/..%2Fsynthloop/classes.png", "/reports/r1/..%2F..%2Fetc.png",
                "/policy/1/scenarios/..%2Fx/previews/0.png"):
        r = c.get(url)
        assert r.status_code == 404, url
        assert b"SQLite" not in r.content
