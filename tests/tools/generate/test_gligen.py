"""GligenGenerator on a tiny random GLIGEN folder: layout in, boxes out, checker hook."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from synthloop.tools.config import GeneratorConfig
from synthloop.tools.errors import ConfigError, ExternalError, ValidationError
from synthloop.tools.generate.base import SpecFailed
from synthloop.tools.generate.gligen import GligenGenerator, faithful_boxes, layout_annotations
from synthloop.tools.models import (
    Annotation,
    ClassCount,
    GenerationSpec,
    LayoutBox,
    ObjectClass,
    Policy,
    Scenario,
)
from tests.support.tiny_pipelines import build_tiny_gligen, build_tiny_sd

POLICY = Policy(
    title="hard hats",
    classes=[ObjectClass(name="person", appears="person"),
             ObjectClass(name="hard_hat", appears="worn_on_head")],
    scenarios=[Scenario(id="with_hat", kind="compliant", classes=[ClassCount(name="hard_hat")]),
               Scenario(id="empty_site", kind="hard_negative")])
LAYOUT = [LayoutBox(cls="person", box=(0.2, 0.25, 0.6, 1.0)),
          LayoutBox(cls="hard_hat", phrase="a yellow hard hat", box=(0.3, 0.25, 0.5, 0.4), parent=0)]


@pytest.fixture(scope="module")
def gligen_folder(tmp_path_factory):
    return build_tiny_gligen(tmp_path_factory.mktemp("models") / "tiny-gligen")


def _spec(seed, layout=LAYOUT, scenario="with_hat"):
    return GenerationSpec(policy_version=1, scenario_id=scenario, prompt="a worker on a site",
                          layout=layout, seed=seed)


def _cfg(model, **kw):
    return GeneratorConfig(**(dict(name="gligen", model=str(model), width=64, height=64, steps=2,
                                   batch_size=4, device="cpu") | kw))


def test_layout_boxes_become_pixel_annotations(gligen_folder, no_network):
    gen = GligenGenerator(_cfg(gligen_folder))
    specs = [_spec(1), _spec(2), _spec(3, layout=[], scenario="empty_site")]
    out = {g.spec.id: g for g in gen.generate(specs, POLICY)}
    assert set(out) == {s.id for s in specs}  # same layouts share a call; empty layout works
    g = out[specs[0].id]
    assert Image.open(io.BytesIO(g.png)).size == (64, 64)
    assert [(a.cls, a.box) for a in g.annotations] == [
        ("person", (12.8, 16.0, 38.4, 64.0)), ("hard_hat", (19.2, 16.0, 32.0, 25.6))]
    assert g.provenance.generator == "gligen" and "boxes known by construction" in g.provenance.note
    assert out[specs[2].id].annotations == []
    assert gen.class_yield["person"].total == 2 == gen.class_yield["person"].kept
    assert no_network == []


def _exact_checker(img, spec):
    return [(a.cls, a.box) for a in layout_annotations(spec.layout, img.width, img.height)]


def test_checker_keeps_faithful_samples_and_rejects_the_rest(gligen_folder):
    gen = GligenGenerator(_cfg(gligen_folder), checker=_exact_checker)
    assert len(list(gen.generate([_spec(1), _spec(2)], POLICY))) == 2
    assert gen.yield_table()["hard_hat"] == {"total": 2, "found": 2, "kept": 2, "rate": 1.0}

    def hat_drifted(img, spec):  # the hat ends up well outside its box
        return [("person", (12.8, 16.0, 38.4, 64.0)), ("hard_hat", (40.0, 40.0, 60.0, 60.0))]

    gen = GligenGenerator(_cfg(gligen_folder), checker=hat_drifted, attempts=2)
    assert list(gen.generate([_spec(1), _spec(2)], POLICY)) == []
    assert gen.yield_table() == {"hard_hat": {"total": 2, "found": 0, "kept": 0, "rate": 0.0},
                                 "person": {"total": 2, "found": 2, "kept": 0, "rate": 0.0}}
    assert [why for _, why in gen.skipped] == ["objects left their boxes (hard_hat) after 2 attempt(s)"] * 2


def test_a_rejected_sample_is_retried_with_a_derived_seed(gligen_folder):
    calls = []

    def flaky(img, spec):
        calls.append(spec.id)
        return [] if len(calls) == 1 else _exact_checker(img, spec)

    gen = GligenGenerator(_cfg(gligen_folder), checker=flaky, attempts=3)
    (g,) = gen.generate([_spec(5)], POLICY)
    assert g.provenance.seed != 5 and "retry 1" in g.provenance.note
    assert len(calls) == 2 and gen.class_yield["person"].kept == 1


def test_checker_errors_and_bad_inputs_are_clear(gligen_folder, tmp_path):
    gen = GligenGenerator(_cfg(gligen_folder), checker=lambda img, spec: 1 / 0)
    with pytest.raises(ExternalError, match="box checker failed"):
        list(gen.generate([_spec(1)], POLICY))
    many = [LayoutBox(cls="person", box=(0.0, 0.0, 0.1 + i / 100, 0.5)) for i in range(31)]
    with pytest.raises(SpecFailed, match="at most 30"):
        list(GligenGenerator(_cfg(gligen_folder)).generate([_spec(1, layout=many)], POLICY))
    with pytest.raises(ValidationError, match="iou_threshold"):
        GligenGenerator(_cfg(gligen_folder), iou_threshold=0)
    sd = build_tiny_sd(tmp_path / "plain-sd")
    with pytest.raises(ConfigError, match="not a GLIGEN model"):
        GligenGenerator(_cfg(sd))


def test_faithful_boxes_matches_by_class_and_iou():
    anns = [Annotation(cls="a", box=(0, 0, 10, 10)), Annotation(cls="b", box=(0, 0, 10, 10))]
    assert faithful_boxes(anns, [("a", (0, 0, 10, 8)), ("a", (0, 0, 10, 10))], 0.5) == [True, False]
    assert faithful_boxes(anns, [("b", (5, 5, 15, 15))], 0.5) == [False, False]
