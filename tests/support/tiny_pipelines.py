"""Tiny random diffusers pipelines, built locally, for tests and benchmarks.

No PyPI package ships diffusion weights and the hub is out of reach offline, so tests build
a pipeline of randomly initialised, very small components (the smallest sizes the
diffusers classes accept), save it with `save_pretrained`, and load it back through exactly
the code path a user's real model folder takes. Its pictures are noise; its plumbing is real.

    build_tiny_sd(tmp / "sd")        -> a StableDiffusionPipeline folder (model_index.json ...)
    build_tiny_gligen(tmp / "gligen") -> a StableDiffusionGLIGENPipeline folder
"""

from __future__ import annotations

from pathlib import Path

from synthloop.tools.errors import ValidationError

SPECIALS = ("<|startoftext|>", "<|endoftext|>")


def _byte_chars() -> list[str]:
    """GPT-2/CLIP's byte-to-unicode table: one printable character per byte value."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def _tiny_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary: every byte, every byte at a word end, a few merges so
    common letter pairs become one token (the tokenizer then really merges something)."""
    chars = _byte_chars()
    tokens = chars + [c + "</w>" for c in chars]
    merges = [("a", "t"), ("h", "a"), ("e", "r</w>"), ("i", "n"), ("o", "n</w>")]
    tokens += [a + b for a, b in merges]
    tokens += list(SPECIALS)
    return {t: i for i, t in enumerate(tokens)}, merges


def build_tiny_tokenizer(folder: Path):
    """Write vocab.json + merges.txt into `folder` and load them with from_pretrained.
    (transformers 5.x silently ignores CLIPTokenizer(vocab_file=..., merges_file=...).)"""
    import json

    from transformers import CLIPTokenizer

    vocab, merges = _tiny_vocab()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text(
        "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")
    tok = CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)
    if len(tok("hat")["input_ids"]) < 3:  # bos + at least one real token + eos
        raise ValidationError("the tiny CLIP tokenizer did not read its vocabulary",
                              hint="check the installed transformers version")
    return tok


def _components(workdir: Path, *, gated: bool) -> dict:
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=32, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(32, 64), down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
        attention_head_dim=(2, 4), norm_num_groups=32,
        attention_type="gated" if gated else "default",
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), sample_size=64,
    )
    tokenizer = build_tiny_tokenizer(workdir / "_tokenizer_src")
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, projection_dim=32,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ))
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1,
    )
    return dict(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                scheduler=scheduler, safety_checker=None, feature_extractor=None)


def _build(folder: str | Path, pipeline_class: str, *, gated: bool) -> Path:
    """Save a tiny random pipeline of diffusers' `pipeline_class` into `folder`."""
    import shutil

    import diffusers

    folder = Path(folder)
    pipe = getattr(diffusers, pipeline_class)(**_components(folder, gated=gated),
                                              requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    shutil.rmtree(folder / "_tokenizer_src", ignore_errors=True)
    return folder


def build_tiny_sd(folder: str | Path) -> Path:
    """Save a tiny random StableDiffusionPipeline into `folder` (64x64 images); returns it."""
    return _build(folder, "StableDiffusionPipeline", gated=False)


def build_tiny_gligen(folder: str | Path) -> Path:
    """Save a tiny random StableDiffusionGLIGENPipeline (gated attention) into `folder`."""
    return _build(folder, "StableDiffusionGLIGENPipeline", gated=True)
