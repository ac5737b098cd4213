"""Verifiers flag, never drop; the vision-LLM verifier around a callable; contact sheets."""

from __future__ import annotations

import json

import pytest

from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality import (
    ImageVerifier,
    Verifier,
    VisionLLMVerifier,
    clean_flag,
    describe_labels,
    parse_reply,
    render_contact_sheet,
)
from tests.support.factories import solid_png

IMAGE = solid_png((90, 120, 150))  # the image every judge sees


def sample(i: int = 0, **kw) -> Sample:
    base = dict(id=f"s{i}", image="files/x.png", width=64, height=64, scenario_id="no_hat",
                annotations=[Annotation(cls="person", box=(5, 5, 30, 60)),
                             Annotation(cls="vest", box=(8, 20, 28, 40), occluded=0.4)],
                provenance=Provenance(generator="procedural"), variables={"lighting": "night"})
    return Sample(**{**base, **kw})


def reply(p0=True, c0=True, p1=True, c1=True, scenario=True, unlabelled=()) -> str:
    return json.dumps({"objects": [{"index": 0, "present": p0, "correct_class": c0},
                                   {"index": 1, "present": p1, "correct_class": c1}],
                       "scenario_matches": scenario, "unlabelled": list(unlabelled)})


def test_a_stated_disagreement_becomes_a_flag_per_object():
    prompts = []

    def ask(prompt, image):
        prompts.append(prompt)
        assert image.startswith(b"\x89PNG")
        return reply(p1=False, unlabelled=["Dog; rm -rf /"])

    v = VisionLLMVerifier(ask)
    assert isinstance(v, Verifier) and isinstance(v, ImageVerifier)
    vd = v.judge(sample(), IMAGE)
    assert vd.verdict == "suspect" and vd.score == 0.0
    assert [(o.index, o.cls) for o in vd.objects] == [(1, "vest"), (None, "dog  rm -rf /")]
    assert "0: person at box (5, 5, 30, 60)" in prompts[0] and "no_hat" in prompts[0]
    assert v.verify(sample(), IMAGE) == ["llm:vest 1 not visible in its box", "llm:unlabelled dog  rm -rf /"]
    assert (v.checked, v.flagged) == (2, 2)


@pytest.mark.parametrize("text, verdict", [
    (reply(), "ok"),
    ("```json\n" + reply() + "\n```", "ok"),
    (reply(c0=False), "suspect"),
    (reply(scenario=False), "suspect"),
    ("I think it looks fine", "unverified"),
    ('{"ok": true}', "unverified"),                                    # old shape: refused
    (reply()[:-1] + ', "extra": 1}', "unverified"),                   # unknown key
    ('{"objects": [{"index": 0, "present": true, "correct_class": true}], '
     '"scenario_matches": true}', "unverified"),                      # object 1 unanswered
    ('{"objects": [{"index": 0, "present": "yes", "correct_class": true}, {"index": 1, '
     '"present": true, "correct_class": true}], "scenario_matches": true}', "unverified"),
    ("{not json}", "unverified"),
])
def test_replies_are_parsed_strictly(text, verdict):
    v = VisionLLMVerifier(lambda p, i: text)
    vd = v.judge(sample(), IMAGE)
    assert vd.verdict == verdict
    assert v.unparsed == (verdict == "unverified")
    assert (v.verify(sample(), IMAGE) != []) == (verdict == "suspect")


def test_an_endpoint_error_is_unverified_not_raised():
    def ask(prompt, image):
        raise ConnectionError("endpoint down")

    v = VisionLLMVerifier(ask)
    vd = v.judge(sample(), IMAGE)
    assert vd.verdict == "unverified" and "ConnectionError" in vd.reason and v.errors == 1
    assert v.verify(sample(), IMAGE) == []


def test_every_n_checks_a_stable_subset():
    calls = []
    v = VisionLLMVerifier(lambda p, i: calls.append(p) or reply(), every=4)
    picked = [s.id for s in (sample(i) for i in range(200)) if v.selected(s)]
    verdicts = [v.judge(sample(i), IMAGE) for i in range(200)]
    assert len(calls) == len(picked) and 25 < len(picked) < 75
    assert sum(vd.verdict == "unverified" for vd in verdicts) == 200 - len(picked)
    assert picked == [s.id for s in (sample(i) for i in range(200)) if v.selected(s)]
    with pytest.raises(ValidationError):
        VisionLLMVerifier(lambda p, i: "", every=0)


def test_parse_reply_checks_the_object_indices():
    assert parse_reply(reply(), 2) is not None
    assert parse_reply(reply(), 3) is None


def test_flags_and_label_descriptions_are_plain_text():
    assert clean_flag("Bad <script>alert(1)</script>\n" + "x" * 200).startswith("bad  script alert(1)")
    assert len(clean_flag("y" * 500)) == 80
    assert describe_labels(sample(label="violating")) == "image label: violating; 1 person, 1 vest"


def test_contact_sheet_draws_boxes_and_flags():
    items = [(IMAGE, sample(0)), (solid_png((20, 20, 20)), sample(1, flags=["llm:doubt"])), (b"junk", sample(2))]
    sheet = render_contact_sheet(items, columns=2, thumb=128, class_names=["person", "vest"])
    assert sheet.size == (2 * 132 + 4, 2 * (128 + 30 + 4) + 4)
    px = sheet.load()
    assert px[4 + 132 + 1, 4 + 1] == (255, 0, 0)  # the flagged one has a red frame
    boxes = {sheet.getpixel((4 + int(5 * 2) + dx, 4 + 30)) for dx in (0, 1)}
    assert (255, 64, 64) in boxes  # person boxes in the first class colour
    with pytest.raises(ValueError):
        render_contact_sheet([])
