"""Review thumbnails draw each box in its class's legend colour (issue 14, smaller items:
they were all one red)."""

from __future__ import annotations

import base64
import io

from PIL import Image

from synthloop.tools.design.review_html import _thumbnail, class_colours
from synthloop.tools.models import Annotation
from tests.support.factories import hard_hat_policy, make_spec, sample_for_spec


def test_thumbnail_boxes_use_the_legend_colours(ws):
    policy = hard_hat_policy()
    (ws.root / "files").mkdir(exist_ok=True)
    Image.new("RGB", (100, 100), "white").save(ws.root / "files" / "t.png")
    s = sample_for_spec(make_spec(), "files/t.png").model_copy(update={
        "width": 100, "height": 100,
        "annotations": [Annotation(cls="person", box=(10, 10, 40, 90)),
                        Annotation(cls="hard_hat", box=(60, 10, 90, 30))]})
    colours = class_colours(policy)
    src = _thumbnail(ws, s, colours)
    img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")
    scale = img.width / 100

    def hexcol(xy):
        r, g, b = img.getpixel((round(xy[0] * scale), round(xy[1] * scale)))
        return f"#{r:02x}{g:02x}{b:02x}"
    assert hexcol((10, 50)) == colours["person"]
    assert hexcol((75, 10)) == colours["hard_hat"]
    assert colours["person"] != colours["hard_hat"]


def test_the_review_page_shows_quarantined_samples_with_reasons(ws):
    from synthloop.tools.design.review import write_review
    from synthloop.tools.models import SampleFlag
    from tests.support.factories import store_sample

    ws.save_policy(hard_hat_policy())
    s = store_sample(ws, 1)
    ws.save_flags([SampleFlag(sample_id=s.id, verifier="held_out_model", score=0.1,
                              reason='person: not found "by" <b>the model</b>')])
    _, html = write_review(ws)
    page = html.read_text()
    section = page.split("Quarantined by label verification (1)", 1)[1]
    assert s.id in section and "data:image/png;base64," in section
    assert "&lt;b&gt;the model&lt;/b&gt;" in section and "<b>the model" not in page
    ws.set_flag_status([s.id], "released")
    assert "Quarantined by label verification" not in write_review(ws)[1].read_text()
