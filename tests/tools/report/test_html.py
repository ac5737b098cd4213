"""The HTML page and its pictures, from a stored report whose images are in the workspace."""

from __future__ import annotations

import io
import json

from PIL import Image, ImageDraw

from synthloop.tools.evaluate import build_report
from synthloop.tools.report import compare_reports, render_report_html
from synthloop.tools.report.gallery import render_failure_gallery
from synthloop.tools.report.plots import plot_confusion, plot_slice_heatmap, slice_matrix
from tests.support.planted_cases import planted_night_case


def _store_planted(ws, n=6):
    samples, preds = planted_night_case(n)
    stored = []
    for s in samples:
        img = Image.new("RGB", (100, 100), (30, 30, 60) if s.variables["lighting"] == "night"
                        else (200, 200, 180))
        d = ImageDraw.Draw(img)
        for a in s.annotations:
            d.rectangle(a.box, fill=(200, 40, 40) if a.cls == "A" else (40, 40, 200))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        stored.append(s.model_copy(update={"image": ws.put_bytes(buf.getvalue(), "png")}))
    ws.save_samples(stored)
    report = ws.save_report(build_report(stored, preds, ["A", "B"]))
    return stored, preds, report


def _is_png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_html_page_has_summary_tables_and_embedded_pictures(ws):
    samples, preds, report = _store_planted(ws)
    path = render_report_html(ws, report)
    assert path == ws.root / "reports" / report.id / "index.html"
    html = path.read_text()
    assert "synthetic holdout" in html
    assert "lighting=night × B" in html
    assert html.count("data:image/png;base64,") == 4  # classes, confusion, slices, gallery
    folder = path.parent
    for name in ("classes.png", "confusion.png", "slices.png", "gallery.png", "summary.md"):
        assert (folder / name).stat().st_size > 0
    assert json.loads((folder / "report.json").read_text())["id"] == report.id
    assert not list(folder.glob(".tmp-*"))  # atomic writes leave no temporaries


def test_html_with_comparison_shows_deltas(ws):
    samples, preds, report = _store_planted(ws)
    older = report.model_copy(update={"id": "older"})
    html = render_report_html(ws, report, comparison=compare_reports(older, report)).read_text()
    assert "Change since <code>older</code>" in html
    assert (ws.root / "reports" / report.id / "comparison.json").exists()


def test_gallery_draws_the_worst_images_with_a_legend(ws):
    samples, preds, report = _store_planted(ws, n=6)
    png = render_failure_gallery(report, {s.id: s for s in samples}, ws.root, n=4, tile=120)
    img = _is_png(png)
    assert img.width == 4 * 126  # 4 night images missed B, one row of 4 tiles
    assert img.height > 120 + 36
    # a tile shows the night background (dark) with the true B box drawn in B's colour
    assert img.getpixel((60, 36 + 60))[2] < 120 or img.getpixel((60, 36 + 60)) != (255, 255, 255)


def test_gallery_is_none_when_nothing_failed(ws):
    samples, preds, _ = _store_planted(ws, n=2)
    perfect = {s.id: preds[samples[0].id] for s in samples}  # image 0 is a day image: A and B
    r = build_report(samples, perfect, ["A", "B"])
    assert render_failure_gallery(r, {s.id: s for s in samples}, ws.root) is None


def test_plots_are_pngs_and_slice_matrix_is_right():
    samples, preds = planted_night_case(5)
    r = build_report(samples, preds, ["A", "B"])
    assert _is_png(plot_confusion(r)).width > 100
    assert _is_png(plot_slice_heatmap(r)).height > 100
    rows, cols, m = slice_matrix(r)
    assert cols == ["A", "B"]
    assert m[rows.index("lighting=night"), 1] == 0.0
    assert m[rows.index("lighting=day"), 1] == 1.0
    assert m[rows.index("lighting=night"), 0] == 1.0


def test_the_page_shows_each_target_with_its_evidence_hypothesis_and_codes_changes(ws):
    from synthloop.agent.planning.weakness_step import plan_notes

    _, _, report = _store_planted(ws)
    plan = {"source": "llm", "adjusted": ["added C2 (class=hard_hat): expected gain 12.0"],
            "dropped": ["C3 (weather=fog): chosen twice"]}
    outcomes = [{"key": "lighting=night", "images": 40, "purpose": "exploit",
                 "evidence": "6/40 found, recall 0.15", "hypothesis": "dark scenes hide hats",
                 "before": 0.15, "after": 0.55}]
    html = render_report_html(ws, report, outcomes=outcomes,
                              plan_notes=plan_notes(plan)).read_text()
    assert "6/40 found, recall 0.15" in html and "dark scenes hide hats" in html
    assert "adjusted: added C2 (class=hard_hat)" in html and "refused: C3 (weather=fog)" in html
    assert plan_notes({"source": "fallback: every choice in the LLM's plan was refused"}) == [
        "plan source: fallback: every choice in the LLM's plan was refused"]


def test_quarantined_samples_are_shown_with_thumbnails_and_escaped_reasons(ws):
    from synthloop.tools.models import SampleFlag

    stored, _, report = _store_planted(ws)
    ws.save_flags([SampleFlag(sample_id=stored[0].id, verifier="held_out_model", score=0.05,
                              reason="A: not found by the model <script>x</script>"),
                   SampleFlag(sample_id=stored[1].id, verifier="held_out_model", score=0.2,
                              reason="released one")])
    ws.set_flag_status([stored[1].id], "released")
    page = render_report_html(ws, report).read_text()
    section = page.split("Quarantined by label verification", 1)[1]
    assert stored[0].id in section and "released one" not in section
    assert "&lt;script&gt;" in section and "<script>x" not in page
    assert "data:image/png;base64," in section
