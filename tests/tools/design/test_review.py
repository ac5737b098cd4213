"""Design review: Markdown and a standalone HTML page that parses with balanced tags,
shows classes, rules, scenarios, axes, coverage and lint, escapes what the policy holds,
and embeds sample thumbnails when the workspace has samples."""

from __future__ import annotations

from html.parser import HTMLParser

from synthloop.tools.design import (
    expand_specs,
    lint_policy,
    load_example_policy,
    render_review_html,
    render_review_markdown,
    write_review,
)
from synthloop.tools.models import Annotation, ObjectClass, Provenance, Sample
from tests.support.factories import helmet_policy, solid_png

VOID = {"meta", "br", "img", "hr", "input", "link", "col", "area", "base", "wbr", "source"}


class TagChecker(HTMLParser):
    """Fails on a closing tag that does not match the innermost open one."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> but open: {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == [], (checker.errors, checker.stack)
    return checker


def test_html_has_everything_and_parses():
    policy = load_example_policy("ppe")
    page = render_review_html(policy)
    assert page.startswith("<!DOCTYPE html>")
    text = " ".join(parse(page).text)
    for c in policy.classes:
        assert c.name in text
    for r in policy.rules:
        assert r.text in text and r.id in text
    for s in policy.scenarios:
        assert s.id in text
    for a in policy.axes:
        assert a.name in text
    assert "Lint: 0 error(s)" in text and "pairwise design" in text.lower()
    assert "<svg" in page  # layout sketches
    assert "No sample images" in text


def test_html_escapes_policy_text_and_shows_lint():
    p = helmet_policy(title="<script>alert(1)</script> & co",
                    classes=[*helmet_policy().classes, ObjectClass(name="compliance")])
    page = render_review_html(p, lint_policy(p))
    assert "<script>" not in page and "&lt;script&gt;" in page
    text = " ".join(parse(page).text)
    assert "abstract_class" in text and "Lint: 1 error(s)" in text


def test_markdown_review():
    policy = load_example_policy("scooter_helmet")
    md = render_review_markdown(policy, lint_policy(policy))
    assert md.startswith("# Design review: E-scooter riders wear a helmet")
    assert "| helmet | worn_on_head |" in md and "R1" in md
    assert "## Coverage of a stratified preview" in md and "full product" in md
    assert "## Example prompts" in md


def test_review_of_a_policy_without_scenarios_still_renders():
    p = helmet_policy(scenarios=[])
    md = render_review_markdown(p)
    assert "no scenarios yet" in md and "rule_no_violating" in md
    parse(render_review_html(p))


def test_write_review_embeds_samples(ws):
    policy = ws.save_policy(load_example_policy("ppe"))
    specs = list(expand_specs(policy, 40))
    ws.save_specs(specs)
    samples = []
    for i, spec in enumerate(specs[:12]):
        rel = ws.put_bytes(solid_png((i * 20, 100, 50), (64, 48)), "png")
        samples.append(Sample(id=f"s{i}", spec_id=spec.id, image=rel, width=64, height=48,
                              annotations=[Annotation(cls="person", box=(5, 5, 30, 40))],
                              scenario_id=spec.scenario_id, variables=spec.variables,
                              split="train", provenance=Provenance(generator="test")))
    ws.save_samples(samples)
    ws.record_review(policy.version, "rejected", "more night scenes")
    md, page = write_review(ws)
    assert md == ws.root / "reports" / "review-v1.md" and page.name == "review-v1.html"
    html = page.read_text()
    checker = parse(html)
    assert len(checker.images) == 12
    assert all(src.startswith("data:image/png;base64,") for src in checker.images)
    assert "more night scenes" in html and "rejected" in md.read_text()
    assert not list((ws.root / "reports").glob(".tmp-*"))  # written atomically

    _, page = write_review(ws, embed=False)
    srcs = parse(page.read_text()).images
    assert srcs and all(src.startswith("../files/") for src in srcs)
    assert all((page.parent / src).resolve().is_file() for src in srcs)
