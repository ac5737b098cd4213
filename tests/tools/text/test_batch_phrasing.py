"""One request phrases a sample's texts; only the refused ones are asked again (issue 17)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError as PydanticError

from synthloop.tools.design import load_example_policy
from synthloop.tools.text import (
    SplitRules,
    Task,
    assign_splits,
    batch_prompt,
    build_texts,
    check_text,
    scene_facts,
)
from tests.support.factories import ppe_samples


def _faithful(tasks: list[Task], temperature: float) -> list[str | None]:
    return [t.draft.reference for t in tasks]


def test_one_request_per_sample_when_every_phrasing_passes():
    samples = ppe_samples()
    requests: list[int] = []

    def ask(tasks, temperature):
        requests.append(len(tasks))
        return _faithful(tasks, temperature)

    built = build_texts(load_example_policy("ppe"), samples, ask=ask)
    assert len(requests) == len(samples) == built.stats.llm_calls
    assert sum(requests) == built.stats.texts == built.stats.llm_accepted
    assert all(n >= 3 for n in requests)  # two captions and at least one question each


def test_only_the_refused_text_is_asked_again_with_its_problems():
    pol = load_example_policy("ppe")
    sample = next(s for s in ppe_samples() if s.id == "syn-ok")
    batches: list[list[Task]] = []

    def ask(tasks, temperature):
        batches.append(tasks)
        out = _faithful(tasks, temperature)
        if len(batches) == 1:
            out[0] = "Five people on the site."  # a wrong count in the short caption
        return out

    built = build_texts(pol, [sample], ask=ask)
    assert [len(b) for b in batches][1:] == [1]
    retry = batches[1][0]
    assert retry.previous == "Five people on the site." and retry.issues
    assert "refused" in batch_prompt(batches[1]) and retry.issues[0].detail in batch_prompt(batches[1])
    st = built.texts[sample.id]
    assert st.caption_short.source == "llm" and st.caption_short.rejections[0].attempt == 1
    assert built.stats.rejected == 1 and built.stats.llm_accepted == built.stats.texts


def test_failed_or_miscounted_replies_fall_back_to_templates_and_are_counted():
    pol = load_example_policy("ppe")
    sample = next(s for s in ppe_samples() if s.id == "syn-ok")
    built = build_texts(pol, [sample], ask=lambda tasks, t: ["only one"])  # wrong length
    st = built.texts[sample.id]
    assert all(x.source == "template" for x in st.texts())
    assert built.stats.llm_errors == len(st.texts()) and built.stats.llm_calls == 1

    def partly(tasks, t):
        out = _faithful(tasks, t)
        out[1] = None  # this one text failed
        return out

    built = build_texts(pol, [sample], ask=partly)
    st = built.texts[sample.id]
    assert st.caption_long.source == "template" and st.caption_short.source == "llm"
    assert built.stats.llm_errors == 1

    def broken(tasks, t):
        raise RuntimeError("endpoint down")

    built = build_texts(pol, [sample], ask=broken)
    assert built.stats.template == built.stats.texts and built.stats.llm_errors == built.stats.texts


def test_every_exported_text_agrees_with_the_labels_whatever_the_llm_says():
    pol = load_example_policy("ppe")
    samples = ppe_samples()
    lies = iter(["No.", "Yes, everyone complies.", "Three hard hats.", "A dog in the rain."] * 50)
    built = build_texts(pol, samples, ask=lambda tasks, t: [next(lies) for _ in tasks])
    by_id = {s.id: s for s in samples}
    for sid, st in built.texts.items():
        facts = scene_facts(pol, by_id[sid])
        for x in st.texts():
            assert not check_text(x.text, facts, x.reference, expect_yes=x.expect_yes), x.text
    assert built.stats.rejected > 0


def test_phrase_and_ask_are_exclusive():
    with pytest.raises(ValueError, match="either"):
        build_texts(load_example_policy("ppe"), ppe_samples(), phrase=lambda p, t: p,
                    ask=_faithful)


def test_test_fraction_moves_a_deterministic_share_of_synthetic_images_to_test():
    from synthloop.tools.models import Provenance, Sample

    samples = [Sample(id=f"s{i:03d}", image="files/x.png", width=8, height=8,
                      provenance=Provenance(generator="procedural")) for i in range(200)]
    rules = SplitRules(validation_fraction=0.1, test_fraction=0.2)
    a, b = assign_splits(samples, rules), assign_splits(list(reversed(samples)), rules)
    counts = a.counts()
    assert 10 <= counts["validation"] <= 30 and 25 <= counts["test"] <= 55
    assert {x.sample_id: x.split for x in a.assigned} == {x.sample_id: x.split for x in b.assigned}
    assert any("moved to test" in x.reason for x in a.assigned)
    with pytest.raises(PydanticError, match="leave some samples for train"):
        SplitRules(validation_fraction=0.5, test_fraction=0.5)
