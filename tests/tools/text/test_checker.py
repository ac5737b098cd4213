"""The checker refuses planted wrong answers and keeps faithful paraphrases (issue 17)."""

from __future__ import annotations

import pytest

from synthloop.tools.design import load_example_policy
from synthloop.tools.text import check_text, questions, scene_facts, write_text
from synthloop.tools.text.templates import captions
from tests.support.factories import person, ppe_sample, ppe_samples


@pytest.fixture
def two():
    pol = load_example_policy("ppe")
    s = ppe_sample("s1", [person(20, hat=True, vest=True), person(200, vest=True)],
               scenario="one_of_two_bare_headed")
    f = scene_facts(pol, s)
    return f, {d.kind: d for d in questions(f)}


def reasons(f, d, text):
    return {i.reason for i in check_text(text, f, d.reference, expect_yes=d.expect_yes,
                                         require=d.require)}


@pytest.mark.parametrize("kind,text,reason", [
    ("R1:count:hard_hat", "Two of the two people are not wearing a hard hat.", "count"),
    ("count:person", "I can see 3 people.", "count"),
    ("R2:yes_no", "Yes, both workers wear yellow hi-vis vests.", "colour"),
    ("R1:complies", "No, the image is compliant with R1 as one of two people is without a hard hat.",
     "compliance"),
    ("R1:where:hard_hat", "The worker on the left has no hard hat.", "position"),
    ("R1:yes_no", "Yes, everyone wears a hard hat.", "yes_no"),
    ("R1:yes_no", "Yes, everyone wears a hard hat.", "object"),
    ("R2:yes_no", "Yes, both workers wear orange hi-vis vests during the day.", "variable"),
    # claims the labels cannot back: a place, an object no class names, a count word
    ("R1:where:hard_hat", "The person without a hard hat is on the right, next to a forklift.",
     "unsupported"),
    ("R1:count:hard_hat", "One of the two people on the construction site has no hard hat.",
     "unsupported"),
    ("R1:count:hard_hat", "One of the two people has no hard hat and another has no vest.",
     "unsupported"),
    ("R1:complies", "No, it violates rule R4: one of the two people has no hard hat.",
     "unsupported"),
])
def test_planted_wrong_answers_are_refused(two, kind, text, reason):
    f, qs = two
    assert reason in reasons(f, qs[kind], text)


@pytest.mark.parametrize("kind,text", [
    ("R1:count:hard_hat", "Just one of the two workers has no hard hat."),
    ("R1:complies", "No, it violates rule R1 because one of the two people has no hard hat."),
    ("R2:yes_no", "Yes, both workers wear orange hi-vis vests at night."),
    ("count:person", "There are two workers in the image."),
    ("R1:where:hard_hat", "The person without a hard hat is standing on the right."),
])
def test_faithful_paraphrases_pass(two, kind, text):
    f, qs = two
    assert reasons(f, qs[kind], text) == set()


@pytest.mark.parametrize("policy", ["ppe", "scooter_helmet", "floor_spill"])
def test_every_template_passes_its_own_check(policy):
    pol = load_example_policy(policy)
    for s in ppe_samples():
        f = scene_facts(pol, s)
        drafts = [*captions(f), *questions(f)]
        assert drafts
        for d in drafts:
            assert not check_text(d.reference, f, d.reference, expect_yes=d.expect_yes,
                                  require=d.require), d.reference


def test_classification_compliance_comes_from_the_label():
    pol = load_example_policy("floor_spill")
    s = ppe_sample("c1", [], scenario="unmarked_spill", label="spill_unmarked", variables={})
    f = scene_facts(pol, s)
    assert f.compliant is False
    qs = {d.kind: d for d in questions(f)}
    assert qs["label_compliance"].expect_yes is False
    assert "yes_no" in reasons(f, qs["label_compliance"], "Yes, the floor is fine.")
    assert "label" in reasons(f, qs["label"], "The image is labelled clean.")


def test_rejected_phrasing_is_retried_once_then_falls_back_to_the_template(two):
    f, qs = two
    d = qs["R1:count:hard_hat"]
    calls = []

    def wrong(prompt, temperature):
        calls.append(temperature)
        return "Both people lack a hard hat."

    t = write_text(d, f, phrase=wrong, temperature=1.2)
    assert t.source == "template" and t.text == d.reference and len(t.rejections) == 2
    assert calls == [1.2, 1.2] and "count" in {i.reason for i in t.rejections[0].issues}

    replies = iter(["Both people lack a hard hat.", "Answer: One of the two workers has no hard hat."])
    t = write_text(d, f, phrase=lambda p, temp: next(replies), temperature=0.7)
    assert t.source == "llm" and t.text == "One of the two workers has no hard hat."
    assert len(t.rejections) == 1 and t.temperature == 0.7

    def broken(prompt, temperature):
        raise RuntimeError("server gone")

    assert write_text(d, f, phrase=broken, temperature=0.2).source == "template"
