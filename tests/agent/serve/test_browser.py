"""The review desk in a real browser: headless Debian Chromium driven by Playwright, the
app served on a loopback port. Each page visited is saved as a screenshot under
build/review_desk/ (SYNTHLOOP_SCREENSHOTS overrides)."""

from __future__ import annotations

import re
import time

import pytest

from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.runner import run_info, start_run
from synthloop.agent.serve import create_app
from synthloop.tools.store import Workspace
from tests.support.factories import hard_hat_policy
from tests.support.llm_replies import HARD_HAT_AXES, HARD_HAT_DRAFT, HARD_HAT_SCENARIOS
from tests.support.loop import quiet_context, tiny_settings
from tests.support.review_desk import (
    HOSTILE,
    add_samples,
    chromium,
    flag,
    generate,
    have_chromium,
    hostile_policy,
    screenshot,
    served,
)

pytestmark = pytest.mark.skipif(not have_chromium(), reason="needs Debian's chromium "
                                "(make test installs it: apt-get install chromium chromium-driver)")


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.mark.slow
def test_comment_reject_redraft_then_approve_continues_the_run(tmp_path):
    root = tmp_path / "ws"
    llm = ScriptedLLM([HARD_HAT_DRAFT, {**HARD_HAT_DRAFT, "title": "Hard hats and vests"},
                       HARD_HAT_SCENARIOS, HARD_HAT_AXES])
    with Workspace.init(root) as ws:
        out = start_run(ws, quiet_context(ws, llm), "hard hats",
                        tiny_settings(iterations=0, auto_approve=False), thread_id="t-desk")
    assert out.paused["policy_version"] == 1
    expect = _expect()
    app = create_app(root, llm=llm)
    with served(app) as url, chromium() as page:
        page.goto(f"{url}/runs/t-desk")
        expect(page.locator("#paused")).to_contain_text("policy v1")
        screenshot(page, "run_paused")
        page.click("#paused a")
        expect(page.locator("#policy-title")).to_contain_text("Hard hats on site")
        rule = page.locator("#rule-R1")
        rule.locator("textarea[name=text]").fill("add hi-vis vests too")
        rule.locator("button[type=submit]").click()
        expect(page.locator("#rule-R1 .comment")).to_contain_text("add hi-vis vests too")
        # the decision box opens with the comments on the version
        expect(page.locator("#decision-comment")).to_have_value("rule R1: add hi-vis vests too")
        screenshot(page, "policy_commented")
        page.click("#reject")
        # back on the run's page, which follows the run: redrafted and paused again at v2
        page.wait_for_url(f"{url}/runs/t-desk")
        expect(page.locator("#paused")).to_contain_text("policy v2", timeout=60_000)
        expect(page.locator("#reviews")).to_contain_text("rejected")
        screenshot(page, "run_redrafted")
        drafts = [c for c in llm.calls if c.template == "draft_policy"]
        assert drafts[1].variables["feedback"] == "rule R1: add hi-vis vests too"
        page.click("#paused a")
        expect(page.locator("#policy-title")).to_contain_text("Hard hats and vests")
        expect(page.locator("#diff")).to_contain_text("title")
        page.click("#approve")
        page.wait_for_url(f"{url}/runs/t-desk")
        # it continues past the review: scenarios, axes, images, training, the report
        state = page.locator("#run-state")
        expect(state).to_contain_text(re.compile(r"done|failed"), timeout=400_000)
        assert "done" in state.inner_text(), page.locator("main").inner_text()[:2000]
        expect(page.locator("#reviews")).to_contain_text("approved")
        expect(page.locator("#iteration-0")).to_be_visible()
        screenshot(page, "run_done")
        page.click("#iteration-0 a.report-link")
        expect(page.locator("#slices tbody tr").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, "report")
        page.goto(f"{url}/runs")
        expect(page.locator("#runs")).to_contain_text("t-desk")
        screenshot(page, "runs")
        page.goto(url)
        screenshot(page, "home")
    with Workspace.open(root) as ws:
        info = run_info(ws, "t-desk")
        assert info["state"] == "done" and info["next"] == []
        assert ws.review_status(1) == ("rejected", "rule R1: add hi-vis vests too")
        assert ws.review_status(2)[0] == "approved"
        assert ws.counts()["samples"] > 0 and ws.list_iterations("t-desk")


def test_editing_an_axis_value_makes_a_new_version(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        policy = ws.save_policy(hard_hat_policy())
        generate(ws, policy, 40)
        ws.add_comment(1, "rule", "R1", "say which hats count: a bump cap is not a hard hat")
        ws.add_comment(1, "scenario", "no_hat", "show more bare heads at night")
    expect = _expect()
    with served(create_app(root)) as url, chromium() as page:
        page.goto(f"{url}/policy/1")
        expect(page.locator("#scenario-with_hat .grid img")).to_have_count(6)
        page.wait_for_load_state("networkidle")
        screenshot(page, "policy")
        page.click("#edit-link")
        field = page.locator('[aria-label="axis lighting value 1"]')
        expect(field).to_have_value("night")
        field.fill("dusk")
        page.fill('[aria-label="axis lighting new value"]', "dawn")
        screenshot(page, "policy_edit")
        page.click("#save-version")
        page.wait_for_url(f"{url}/policy/2")
        expect(page.locator("#diff")).to_contain_text("axes lighting")
        expect(page.locator("#axis-lighting")).to_contain_text("dusk")
        expect(page.locator("#axis-lighting")).to_contain_text("dawn")
        screenshot(page, "policy_v2_diff")
    with Workspace.open(root) as ws:
        v2 = ws.get_policy(2)
        assert v2.parent_version == 1
        assert v2.get_axis("lighting").value_names() == ["day", "dusk", "dawn"]
        assert ws.get_policy(1).get_axis("lighting").value_names() == ["day", "night"]


def test_previews_are_drawn_on_demand_with_progress(tmp_path, monkeypatch):
    from synthloop.agent.serve import policy_pages

    real = policy_pages.render_previews

    def slowed(config, policy, scenario_id, on_image):  # a diffusion model's pace, roughly
        return real(config, policy, scenario_id, lambda: (time.sleep(0.4), on_image()))
    monkeypatch.setattr(policy_pages, "render_previews", slowed)
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        ws.save_policy(hard_hat_policy())
    expect = _expect()
    with served(create_app(root)) as url, chromium() as page:
        page.goto(f"{url}/policy/1")
        page.locator("#scenario-no_hat .preview-button").click()
        # the progress bar shows while the job runs; the page reloads with the images
        expect(page.locator("#scenario-no_hat progress")).to_be_visible()
        screenshot(page, "policy_previews_progress")
        expect(page.locator("#scenario-no_hat .previews img")).to_have_count(6, timeout=60_000)
        for img in page.locator("#scenario-no_hat .previews img").all():
            assert img.evaluate("i => i.naturalWidth") > 0
        screenshot(page, "policy_previews")
    with Workspace.open(root) as ws:
        assert ws.counts()["samples"] == 0  # previews are never stored as training data


def test_label_review_releases_and_confirms(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        ws.save_policy(hard_hat_policy())
        add_samples(ws, 1, 4)
        ws.save_flags([flag("smp-00000"), flag("smp-00002", "a box with nothing in it")])
    expect = _expect()
    with served(create_app(root)) as url, chromium() as page:
        page.goto(f"{url}/labels")
        expect(page.locator("article.flag")).to_have_count(2)
        expect(page.locator("#flag-smp-00002")).to_contain_text("a box with nothing in it")
        screenshot(page, "labels")
        page.locator("#flag-smp-00000 button.approve").click()
        expect(page.locator("article.flag")).to_have_count(1)
        page.locator("#flag-smp-00002 button.reject").click()
        expect(page.locator("article.flag")).to_have_count(0)
        page.goto(f"{url}/labels?status=all")
        expect(page.locator("#flag-smp-00000 .state")).to_have_text("released")
        expect(page.locator("#flag-smp-00002 .state")).to_have_text("confirmed")
    with Workspace.open(root) as ws:
        assert {f.sample_id: f.status for f in ws.list_flags()} == {
            "smp-00000": "released", "smp-00002": "confirmed"}
        assert ws.quarantined_ids() == {"smp-00002"}


def test_markup_in_a_policy_is_shown_as_text_and_never_runs(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        ws.save_policy(hostile_policy())
        ws.add_comment(1, "rule", "R1", HOSTILE)
    expect = _expect()
    dialogs: list[str] = []
    with served(create_app(root)) as url, chromium() as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ("/policy/1", "/policy/1/edit"):
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            # one script on the page: the desk's own
            assert page.locator("script").count() == 1
            assert page.locator("#injected").count() == 0
        page.goto(f"{url}/policy/1")
        expect(page.locator("#policy-title")).to_contain_text('<script>alert("x")</script>')
        expect(page.locator("#rule-R1 .comment")).to_contain_text(HOSTILE)
        expect(page.locator("#axis-lighting")).to_contain_text("<script>x</script>")
        screenshot(page, "policy_markup")
    assert dialogs == []
