"""Verifiers flag, never drop; the vision-LLM verifier around a callable; contact sheets."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality import (
    Verifier,
    VisionLLMVerifier,
    clean_flag,
    describe_labels,
    render_contact_sheet,
)


def sample(i: int = 0, **kw) -> Sample:
    base = dict(id=f"s{i}", image="files/x.png", width=64, height=64, scenario_id="no_hat",
                annotations=[Annotation(cls="person", box=(5, 5, 30, 60)),
                             Annotation(cls="vest", box=(8, 20, 28, 40), occluded=0.4)],
                provenance=Provenance(generator="procedural"), variables={"lighting": "night"})
    return Sample(**{**base, **kw})


def png(colour=(90, 120, 150)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_a_stated_disagreement_becomes_a_flag():
    prompts = []

    def ask(prompt, image):
        prompts.append(prompt)
        assert image.startswith(b"\x89PNG")
        return 'Sure. {"ok": false, "issues": ["No VEST visible!", "person is a dog; rm -rf /"]}'

    v = VisionLLMVerifier(ask)
    assert isinstance(v, Verifier)
    assert v.verify(sample(), png()) == ["llm:no vest visible", "llm:person is a dog  rm -rf /"]
    assert "1 person, 1 vest" in prompts[0] and "no_hat" in prompts[0]
    assert (v.checked, v.flagged) == (1, 1)


@pytest.mark.parametrize("reply, flags, unparsed", [
    ('{"ok": true, "issues": []}', [], 0),
    ('{"matches": false}', ["llm:labels disputed"], 0),
    ("I think it looks fine", [], 1),
    ('{"ok": "maybe"}', [], 1),
    ("{not json}", [], 1),
])
def test_replies_that_agree_or_cannot_be_read_flag_nothing(reply, flags, unparsed):
    v = VisionLLMVerifier(lambda p, i: reply)
    assert v.verify(sample(), png()) == flags
    assert v.unparsed == unparsed


def test_an_endpoint_error_is_counted_not_raised():
    def ask(prompt, image):
        raise ConnectionError("endpoint down")

    v = VisionLLMVerifier(ask)
    assert v.verify(sample(), png()) == [] and v.errors == 1


def test_every_n_checks_a_stable_subset():
    calls = []
    v = VisionLLMVerifier(lambda p, i: calls.append(p) or '{"ok": true}', every=4)
    picked = [s.id for s in (sample(i) for i in range(200)) if v.selected(s)]
    for i in range(200):
        v.verify(sample(i), png())
    assert len(calls) == len(picked) and 25 < len(picked) < 75
    assert picked == [s.id for s in (sample(i) for i in range(200)) if v.selected(s)]
    with pytest.raises(ValidationError):
        VisionLLMVerifier(lambda p, i: "", every=0)


def test_flags_and_label_descriptions_are_plain_text():
    assert clean_flag("Bad <script>alert(1)</script>\n" + "x" * 200).startswith("bad  script alert(1)")
    assert len(clean_flag("y" * 500)) == 80
    assert describe_labels(sample(label="violating")) == "image label: violating; 1 person, 1 vest"


def test_contact_sheet_draws_boxes_and_flags():
    items = [(png(), sample(0)), (png((20, 20, 20)), sample(1, flags=["llm:doubt"])), (b"junk", sample(2))]
    sheet = render_contact_sheet(items, columns=2, thumb=128, class_names=["person", "vest"])
    assert sheet.size == (2 * 132 + 4, 2 * (128 + 30 + 4) + 4)
    px = sheet.load()
    assert px[4 + 132 + 1, 4 + 1] == (255, 0, 0)  # the flagged one has a red frame
    boxes = {sheet.getpixel((4 + int(5 * 2) + dx, 4 + 30)) for dx in (0, 1)}
    assert (255, 64, 64) in boxes  # person boxes in the first class colour
    with pytest.raises(ValueError):
        render_contact_sheet([])
