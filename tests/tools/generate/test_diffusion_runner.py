"""The diffusion generators through the real runner: make_generator + generate_samples."""

from __future__ import annotations

import pytest

from synthloop.tools.config import GeneratorConfig
from synthloop.tools.generate.diffusion import DiffusersGenerator
from synthloop.tools.generate.gligen import GligenGenerator, layout_annotations
from synthloop.tools.generate.runner import generate_samples, make_generator
from synthloop.tools.models import (
    ClassCount,
    GenerationSpec,
    LayoutBox,
    ObjectClass,
    Policy,
    Scenario,
)
from tests.support.tiny_pipelines import build_tiny_gligen, build_tiny_sd


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return build_tiny_sd(root / "sd"), build_tiny_gligen(root / "gligen")


def _policy(ws, task="detection"):
    return ws.save_policy(Policy(
        title="hats", task=task, classes=[ObjectClass(name="hard_hat")],
        scenarios=[Scenario(id="with_hat", kind="compliant", classes=[ClassCount(name="hard_hat")],
                            label="hat")]))


def _specs(n, layout=()):
    return [GenerationSpec(policy_version=1, scenario_id="with_hat", prompt="a hard hat",
                           layout=list(layout), seed=i, split="test" if i == 0 else "train",
                           variables={"light": "dusk"}) for i in range(n)]


def test_gligen_samples_store_their_boxes_and_rejections_are_recorded(ws, models, no_network):
    pol = _policy(ws)
    layout = [LayoutBox(cls="hard_hat", box=(0.25, 0.25, 0.75, 0.5))]
    specs = _specs(3, layout)

    def checker(img, spec):  # spec seed 2 "drifts": its hat is never found
        return [] if spec.seed == 2 else [(a.cls, a.box) for a in
                                          layout_annotations(spec.layout, img.width, img.height)]

    cfg = GeneratorConfig(name="gligen", model=str(models[1]), width=64, height=64, steps=2,
                          batch_size=2, device="cpu")
    gen = GligenGenerator(cfg, checker=checker, attempts=1)
    result = generate_samples(ws, pol, specs, gen, progress=False)
    assert result.generated == 2 and [sid for sid, _ in result.failed] == [specs[2].id]
    assert "objects left their boxes (hard_hat)" in result.failed[0][1]
    samples = {s.spec_id: s for s in ws.iter_samples()}
    s0 = samples[specs[0].id]
    assert s0.split == "test" and s0.variables == {"light": "dusk"}
    assert [(a.cls, a.box) for a in s0.annotations] == [("hard_hat", (16.0, 16.0, 48.0, 32.0))]
    assert s0.provenance.generator == "gligen" and s0.provenance.steps == 2
    assert gen.yield_table()["hard_hat"]["kept"] == 2
    again = generate_samples(ws, pol, specs[:2], gen, progress=False)
    assert again.skipped_existing == 2 and again.generated == 0  # idempotent
    assert no_network == []


def test_make_generator_builds_diffusers_for_classification(ws, models):
    pol = _policy(ws, "classification")
    cfg = GeneratorConfig(name="diffusers", model=str(models[0]), width=64, height=64, steps=1,
                          batch_size=4, device="cpu")
    gen = make_generator(cfg)
    assert isinstance(gen, DiffusersGenerator) and not isinstance(gen, GligenGenerator)
    result = generate_samples(ws, pol, _specs(2), gen, progress=False)
    gen.close()
    assert result.generated == 2
    assert {s.label for s in ws.iter_samples()} == {"hat"}
