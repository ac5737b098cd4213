"""The CLIP verifier on a tiny random CLIP built offline (tokenizer from a written vocab)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from synthloop.tools.errors import ConfigError
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality.clip import BACKGROUND, ClipConfig, ClipVerifier
from tests.support.factories import png_bytes

NAMES = ["person", "hard_hat", "hi_vis_vest"]


IMAGE = png_bytes(0, (64, 64))  # the image every judge sees


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    root = tmp_path_factory.mktemp("clip")
    chars = list("abcdefghijklmnopqrstuvwxyz_")
    vocab = {c: i for i, c in enumerate(chars)}
    vocab |= {c + "</w>": len(chars) + i for i, c in enumerate(chars)}
    vocab |= {"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1}
    (root / "tok").mkdir()
    (root / "tok" / "vocab.json").write_text(json.dumps(vocab))
    (root / "tok" / "merges.txt").write_text("#version: 0.2\n")
    tok = CLIPTokenizer.from_pretrained(root / "tok")
    eos, bos = vocab["<|endoftext|>"], vocab["<|startoftext|>"]
    cfg = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                         eos_token_id=eos, bos_token_id=bos, pad_token_id=eos),
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=37,
                           num_hidden_layers=2, num_attention_heads=4),
        projection_dim=16)
    CLIPModel(cfg).save_pretrained(root / "clip")
    CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                     crop_size={"height": 32, "width": 32}),
                  tokenizer=tok).save_pretrained(root / "clip")
    return root / "clip"


def sample(**kw) -> Sample:
    base = dict(id="s1", image="x.png", width=64, height=64,
                annotations=[Annotation(cls="person", box=(4, 4, 30, 60)),
                             Annotation(cls="hard_hat", box=(40, 4, 60, 20))],
                provenance=Provenance(generator="procedural"))
    return Sample(**(base | kw))


def test_the_local_clip_scores_every_object(clip_dir):
    v = ClipVerifier(ClipConfig(path=clip_dir), NAMES)
    probs = v.class_probs([Image.new("RGB", (20, 30), (200, 10, 10))] * 2)
    assert probs.shape == (2, len(NAMES) + 1) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    vd = v.judge(sample(), IMAGE)
    assert vd.verdict in ("ok", "suspect") and 0 <= vd.score <= 1
    assert v.judge(sample(), IMAGE) == vd                      # deterministic
    bad = v.judge(sample(), b"not a png")
    assert bad.verdict == "unverified" and v.errors == 1
    flags = v.verify(sample(), IMAGE)
    assert (flags == []) == (vd.verdict == "ok") and all(f.startswith("clip:") for f in flags)


def test_the_decision_flags_an_object_another_text_wins(clip_dir):
    v = ClipVerifier(ClipConfig(path=clip_dir, ratio=2.0), NAMES)
    probs = np.array([[0.7, 0.1, 0.1, 0.1],      # person: its own text wins
                      [0.1, 0.1, 0.7, 0.1]])     # hard_hat: looks like a vest
    vd = v.decide(sample(), ["person", "hard_hat"], probs)
    assert vd.verdict == "suspect" and [o.index for o in vd.objects] == [1]
    assert "looks like hi_vis_vest" in vd.objects[0].reason
    empty = v.decide(sample(), ["person", "hard_hat"], np.array([[0.7, 0.1, 0.1, 0.1],
                                                                 [0.05, 0.05, 0.1, 0.8]]))
    assert "nothing there" in empty.objects[0].reason and v.names[-1] == BACKGROUND
    close = v.decide(sample(), ["person", "hard_hat"], np.array([[0.7, 0.1, 0.1, 0.1],
                                                                 [0.1, 0.3, 0.5, 0.1]]))
    assert close.verdict == "ok"                 # 0.5 < 2 x 0.3: not flagged


def test_a_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no CLIP model"):
        ClipVerifier(ClipConfig(path=tmp_path), NAMES)
    with pytest.raises(ConfigError):
        ClipVerifier(ClipConfig(path=tmp_path), [])
