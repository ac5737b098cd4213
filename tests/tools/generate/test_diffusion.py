"""DiffusersGenerator on a tiny random Stable Diffusion folder, loaded like a user's model."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from synthloop.tools.config import GeneratorConfig
from synthloop.tools.errors import ConfigError, ExternalError, NotFound
from synthloop.tools.generate.base import Generator
from synthloop.tools.generate.diffusion import NO_BOXES_NOTE, DiffusersGenerator, round_size
from synthloop.tools.models import ClassCount, GenerationSpec, ObjectClass, Policy, Scenario
from tests.support.tiny_pipelines import build_tiny_sd


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    return build_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd")


def _policy(task="detection") -> Policy:
    return Policy(
        title="hard hats", task=task,
        classes=[ObjectClass(name="person", appears="person"),
                 ObjectClass(name="hard_hat", appears="worn_on_head")],
        scenarios=[
            Scenario(id="with_hat", kind="compliant", classes=[ClassCount(name="hard_hat")],
                     label="ok_worker"),
            Scenario(id="bare_head", kind="violating", classes=[ClassCount(name="person")]),
        ])


def _spec(seed: int, prompt="a worker with a hard hat", neg="", scenario="with_hat", label=None):
    return GenerationSpec(policy_version=1, scenario_id=scenario, prompt=prompt,
                          negative_prompt=neg, seed=seed, label=label)


def _cfg(model, **kw) -> GeneratorConfig:
    base = dict(name="diffusers", model=str(model), width=64, height=64, steps=2,
                guidance=5.0, batch_size=2, device="cpu")
    return GeneratorConfig(**(base | kw))


def test_generates_batches_from_a_local_folder_without_network(sd_folder, no_network):
    gen = DiffusersGenerator(_cfg(sd_folder))
    assert isinstance(gen, Generator)
    specs = [_spec(1), _spec(2, neg="blurry"), _spec(3, prompt="a person outdoors")]
    out = list(gen.generate(specs, _policy()))
    assert [g.spec.id for g in out] == [s.id for s in specs]  # 2 + 1: the remainder batch too
    for g in out:
        im = Image.open(io.BytesIO(g.png))
        assert im.format == "PNG" and im.size == (64, 64) == (g.width, g.height)
        p = g.provenance
        assert p.generator == "diffusers" and p.model == str(sd_folder)
        assert p.generator_version and p.steps == 2 and p.guidance == 5.0
        assert p.seed == g.spec.seed and p.elapsed_s > 0
        assert g.annotations == [] and p.note == NO_BOXES_NOTE and g.label is None
    assert no_network == []
    gen.close()


def test_a_seed_makes_the_same_picture_and_another_seed_another(sd_folder):
    import numpy as np

    gen = DiffusersGenerator(_cfg(sd_folder, batch_size=3))
    specs = [_spec(7), _spec(8), _spec(7, prompt="a worker with a hard hat ")]
    a1, b, a2 = (np.asarray(Image.open(io.BytesIO(g.png)), dtype=int)
                 for g in gen.generate(specs, _policy()))
    assert np.abs(a1 - a2).max() <= 2  # same seed: the same picture (batch maths may round)
    assert np.abs(a1 - b).mean() > 10
    again = [g.png for g in gen.generate(specs, _policy())]
    assert again == [g.png for g in gen.generate(specs, _policy())]  # a re-run is bit-identical


def test_classification_images_take_the_spec_or_scenario_label(sd_folder):
    gen = DiffusersGenerator(_cfg(sd_folder))
    pol = _policy("classification")
    out = list(gen.generate([_spec(1, label="unsafe"), _spec(2), _spec(3, scenario="bare_head")],
                            pol))
    assert [g.label for g in out] == ["unsafe", "ok_worker", "violating"]
    assert all(g.provenance.note == "" for g in out)


def test_sizes_round_to_multiples_of_eight_portrait(sd_folder):
    gen = DiffusersGenerator(_cfg(sd_folder, width=60, height=90, batch_size=1))
    assert (gen.width, gen.height) == (64, 88) and round_size(100) == 104
    (g,) = gen.generate([_spec(1)], _policy())
    assert (g.width, g.height) == (64, 88)


def test_bad_model_inputs_fail_before_any_work(tmp_path, no_network):
    with pytest.raises(NotFound, match="does not exist"):
        DiffusersGenerator(_cfg(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="model_index.json"):
        DiffusersGenerator(_cfg(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="generator.model is not set"):
        DiffusersGenerator(GeneratorConfig(name="diffusers"))
    with pytest.raises(ConfigError, match="downloads are off") as e:
        DiffusersGenerator(_cfg("someone/not-cached-model-xyz"))
    assert "ALLOW_DOWNLOAD" in e.value.hint
    assert no_network == []


def test_cuda_requested_without_cuda_is_a_clear_error(sd_folder):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ExternalError, match="no CUDA device"):
        DiffusersGenerator(_cfg(sd_folder, device="cuda"))
    with pytest.raises(ConfigError, match="not one of"):
        DiffusersGenerator(_cfg(sd_folder, device="tpu"))


def test_allow_download_lifts_offline_only_for_the_download(sd_folder, monkeypatch):
    from diffusers import DiffusionPipeline
    from huggingface_hub import constants

    from synthloop.tools import offline

    seen = {}

    def fake_download(repo_id, **kw):
        seen["repo"] = repo_id
        seen["env"] = os.environ.get("HF_HUB_OFFLINE")
        seen["const"] = constants.HF_HUB_OFFLINE
        return str(sd_folder)

    monkeypatch.setattr(DiffusionPipeline, "download", classmethod(
        lambda cls, repo_id, **kw: fake_download(repo_id, **kw)))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(offline, "_we_set", offline._we_set | {"HF_HUB_OFFLINE"})
    gen = DiffusersGenerator(_cfg("someone/tiny-sd", allow_download=True))
    assert seen == {"repo": "someone/tiny-sd", "env": "0", "const": False}
    assert os.environ.get("HF_HUB_OFFLINE") == "1" and constants.HF_HUB_OFFLINE
    assert gen.folder == sd_folder and gen.model == "someone/tiny-sd"

    # an HF_HUB_OFFLINE=1 the user exported themselves is respected
    monkeypatch.setattr(offline, "_we_set", offline._we_set - {"HF_HUB_OFFLINE"})
    seen.clear()
    with pytest.raises(ConfigError, match="you exported HF_HUB_OFFLINE=1"):
        DiffusersGenerator(_cfg("someone/tiny-sd", allow_download=True))
    assert seen == {}
