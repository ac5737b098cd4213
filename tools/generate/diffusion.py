"""Text-to-image generation with diffusers (Stable Diffusion 1.x/2.x, SDXL, SD-Turbo...).

The model is a local diffusers folder (one with model_index.json) or a hub id. A hub id is
fetched only when `generator.allow_download` is true; otherwise it is used only if it already
sits in the local Hugging Face cache, and a clear error says how to allow the download. All
checks (model, device) happen when the generator is built, before any image is made.

Plain text-to-image knows nothing about where objects end up, so for detection policies its
samples carry no boxes (the provenance note says so); the loop uses `GligenGenerator` for
detection, where the layout is part of the input.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

from ..config import GeneratorConfig
from ..errors import ConfigError, ExternalError, NotFound
from ..models import GenerationSpec, Policy, Provenance
from ..offline import apply_offline_defaults
from ..secrets import redact
from .base import GeneratedImage

log = logging.getLogger(__name__)

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
NO_BOXES_NOTE = ("text-to-image: object positions are unknown, so no box annotations "
                 "(use the gligen generator for detection)")


# -- checks done before any work ------------------------------------------------------------
def pick_device(requested: str) -> str:
    """'auto' -> cuda when present, else cpu; an explicit 'cuda' without CUDA is an error."""
    import torch

    req = (requested or "auto").strip().lower()
    if req == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if req == "cpu":
        return "cpu"
    if req == "cuda" or req.startswith("cuda:") or req.isdigit():
        if not torch.cuda.is_available():
            raise ExternalError(
                f"generator.device is {requested!r} but no CUDA device is available here",
                "set generator.device = \"auto\" or \"cpu\" (SYNTHLOOP_GENERATOR__DEVICE=cpu)")
        return f"cuda:{req}" if req.isdigit() else req
    if req == "mps":
        if not torch.backends.mps.is_available():
            raise ExternalError("generator.device is 'mps' but MPS is not available here",
                                "set generator.device = \"auto\" or \"cpu\"")
        return "mps"
    raise ConfigError(f"generator.device {requested!r} is not one of auto, cpu, cuda, cuda:N, mps",
                      "set generator.device = \"auto\"")


def round_size(value: int) -> int:
    """Diffusion models need sides that are multiples of 8 (the VAE downsamples by 8)."""
    return max(8, int(value / 8.0 + 0.5) * 8)


def check_model_folder(folder: Path, shown: str) -> Path:
    if not folder.is_dir():
        raise ConfigError(f"generator.model {shown!r} is a file, not a diffusers model folder",
                          "point generator.model at the folder that holds model_index.json")
    if not (folder / "model_index.json").is_file():
        raise ConfigError(
            f"generator.model {shown!r} is not a diffusers model folder (no model_index.json)",
            "use a folder saved with pipeline.save_pretrained(), or a hub id such as "
            "stabilityai/sd-turbo with generator.allow_download = true")
    return folder


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or not HUB_ID.match(model)


@contextmanager
def hub_online() -> Iterator[None]:
    """Lift the HF_HUB_OFFLINE that tools/offline.py set, for one transfer the user asked
    for (a model download, a dataset push); one the user exported is respected."""
    from huggingface_hub import constants

    from .. import offline

    if "HF_HUB_OFFLINE" not in offline._we_set and constants.HF_HUB_OFFLINE:
        raise ConfigError("a Hugging Face hub transfer was asked for, but you exported "
                          "HF_HUB_OFFLINE=1", "unset HF_HUB_OFFLINE to let synthloop reach the hub")
    saved_env, saved_const = os.environ.get("HF_HUB_OFFLINE"), constants.HF_HUB_OFFLINE
    os.environ["HF_HUB_OFFLINE"] = "0"
    constants.HF_HUB_OFFLINE = False
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved_const
        if saved_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved_env


def resolve_model(config: GeneratorConfig) -> Path:
    """The local folder of `config.model`: the folder itself, the cached snapshot of a hub id,
    or (only with allow_download) a freshly downloaded snapshot."""
    model = (config.model or "").strip()
    if not model:
        raise ConfigError(f"generator.name is {config.name!r} but generator.model is not set",
                          "set generator.model to a local diffusers folder or a hub id")
    path = Path(model).expanduser()
    if path.exists():
        return check_model_folder(path, model)
    if _looks_like_path(model):
        raise NotFound(f"generator.model {model!r} does not exist",
                       "check the path, or give a hub id such as stabilityai/sd-turbo")
    apply_offline_defaults()
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(model, "model_index.json")
    if isinstance(cached, str):
        return Path(cached).parent
    if not config.allow_download:
        raise ConfigError(
            f"generator.model {model!r} is a hub id that is not in the local cache, and "
            "downloads are off",
            "set generator.allow_download = true (or SYNTHLOOP_GENERATOR__ALLOW_DOWNLOAD=1) to "
            "fetch it once, or download it yourself and point generator.model at the folder")
    from diffusers import DiffusionPipeline

    log.warning("downloading %s from the Hugging Face hub (generator.allow_download=true)", model)
    try:
        with hub_online():
            folder = DiffusionPipeline.download(model)
    except ConfigError:
        raise
    except Exception as e:
        raise ExternalError(f"could not download {model!r}: {redact(f'{type(e).__name__}: {e}')}",
                            "check the id, your network and HF_TOKEN for gated models") from None
    return check_model_folder(Path(folder), model)


def read_component_config(folder: Path, component: str) -> dict[str, Any]:
    try:
        return json.loads((folder / component / "config.json").read_text())
    except (OSError, ValueError):
        return {}


# -- loading and running ----------------------------------------------------------------------
def _dtype_kwarg(dtype) -> dict[str, Any]:
    # diffusers renamed torch_dtype to dtype (the old name now warns); support both
    try:
        from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401
    except ImportError:
        return {"torch_dtype": dtype}
    return {"dtype": dtype}


def load_pipeline(loader, folder: Path, device: str, shown: str):
    """Load a pipeline class (or AutoPipeline) from a local folder, on `device`: fp16 and a
    compiled UNet only on CUDA, where they pay off; no network either way."""
    import torch
    from diffusers.utils import logging as dlog

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    was_enabled = dlog.is_progress_bar_enabled()
    dlog.disable_progress_bar()
    try:
        pipe = loader.from_pretrained(str(folder), local_files_only=True, **_dtype_kwarg(dtype))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ExternalError(f"could not load diffusers model {shown!r}: {type(e).__name__}: {e}",
                            "check that the folder is a complete diffusers pipeline") from e
    finally:
        if was_enabled:
            dlog.enable_progress_bar()
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    if device.startswith("cuda") and hasattr(pipe, "unet"):
        pipe.unet = torch.compile(pipe.unet)
    return pipe


def call_pipeline(pipe, **kwargs):
    """Run `pipe`; a compiled UNet that fails to compile falls back to eager once."""
    import torch

    try:
        with torch.inference_mode():
            return pipe(**kwargs)
    except Exception as e:
        orig = getattr(getattr(pipe, "unet", None), "_orig_mod", None)
        if orig is None:
            raise
        log.warning("torch.compile failed (%s: %s); running the UNet eagerly", type(e).__name__, e)
        pipe.unet = orig
        with torch.inference_mode():
            return pipe(**kwargs)


def encode_png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def image_label(spec: GenerationSpec, policy: Policy) -> str | None:
    """Classification: the spec's label, else its scenario's label, else the scenario kind."""
    if policy.task != "classification":
        return None
    if spec.label:
        return spec.label
    sc = policy.get_scenario(spec.scenario_id)
    return (sc.label or sc.kind) if sc else None


def seeded(seed: int):
    import torch

    # CPU generators give the same noise on every device, so a seed means one picture
    return torch.Generator("cpu").manual_seed(int(seed))


def chunked(items: Iterable, n: int) -> Iterator[list]:
    batch: list = []
    for it in items:
        batch.append(it)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


class DiffusersGenerator:
    """Text-to-image with any diffusers text-to-image pipeline (AutoPipelineForText2Image).

    gen = DiffusersGenerator(GeneratorConfig(name="diffusers", model="/models/sd-turbo",
                                             steps=2, guidance=0.0, width=512, height=384))
    images = list(gen.generate(specs, policy))
    """

    name = "diffusers"

    def __init__(self, config: GeneratorConfig):
        self.config = config
        self.version = pkg_version("diffusers")
        self.model = str(config.model or "")
        self.device = pick_device(config.device)
        self.folder = resolve_model(config)
        self.width, self.height = round_size(config.width), round_size(config.height)
        if (self.width, self.height) != (config.width, config.height):
            log.info("image size %dx%d rounded to %dx%d (multiples of 8)",
                     config.width, config.height, self.width, self.height)
        self.skipped: list[tuple[str, str]] = []  # (spec id, why) for images not yielded
        self._pipe = None
        self._warned = False

    def load(self):
        """Load the pipeline now (generate() does it on first use)."""
        if self._pipe is None:
            apply_offline_defaults()
            from diffusers import AutoPipelineForText2Image

            self._pipe = load_pipeline(AutoPipelineForText2Image, self.folder, self.device,
                                       self.model)
        return self._pipe

    def generate(self, specs: Iterable[GenerationSpec], policy: Policy) -> Iterator[GeneratedImage]:
        """Yield one image per spec, `config.batch_size` specs per pipeline call."""
        pipe = self.load()
        if policy.task == "detection" and not self._warned:
            self._warned = True
            log.warning("diffusers text-to-image makes no box annotations; detection samples "
                        "from it are unlabelled (use generator.name = \"gligen\")")
        for batch in chunked(specs, self.config.batch_size):
            t0 = time.perf_counter()
            negs = [s.negative_prompt for s in batch]
            out = call_pipeline(
                pipe, prompt=[s.prompt for s in batch],
                negative_prompt=negs if any(negs) else None,
                width=self.width, height=self.height,
                num_inference_steps=self.config.steps, guidance_scale=self.config.guidance,
                generator=[seeded(s.seed) for s in batch])
            each = (time.perf_counter() - t0) / len(batch)
            flagged = getattr(out, "nsfw_content_detected", None) or [False] * len(batch)
            for spec, img, bad in zip(batch, out.images, flagged, strict=True):
                if bad:
                    self._skip(spec, "the model's safety checker blanked the image")
                    continue
                yield self._to_generated(spec, policy, img, each)

    def _skip(self, spec: GenerationSpec, why: str) -> None:
        log.warning("spec %s: %s; no sample made", spec.id, why)
        self.skipped.append((spec.id, why))

    def _to_generated(self, spec: GenerationSpec, policy: Policy, img, elapsed: float,
                      seed: int | None = None, note: str = "") -> GeneratedImage:
        if policy.task == "detection" and not note:
            note = NO_BOXES_NOTE
        prov = Provenance(generator=self.name, generator_version=self.version, model=self.model,
                          seed=spec.seed if seed is None else seed, steps=self.config.steps,
                          guidance=self.config.guidance, elapsed_s=round(elapsed, 4), note=note)
        return GeneratedImage(spec=spec, png=encode_png(img), width=img.width, height=img.height,
                              annotations=[], provenance=prov, label=image_label(spec, policy))

    def close(self) -> None:
        """Drop the pipeline and free GPU memory."""
        self._pipe = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
