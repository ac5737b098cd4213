"""Grounded generation with GLIGEN: the spec's layout boxes and phrases go in, so every
object's class and box are known by construction and become the sample's annotations.

A box-faithfulness hook can check that the objects really landed in their boxes:
`checker(image: PIL.Image, spec) -> list[(cls, (x0, y0, x1, y1) in pixels)]` is any detector
(the user's, or the project's trained model). A sample is kept when each layout box is matched
by a detection of its class with IoU >= `iou_threshold`; a rejected sample is retried with a
derived seed (`attempts` in all) and then dropped. After a run, `class_yield` tells per class
how many objects were asked for (`total`), landed in their box (`found`) and ended up in kept
samples (`kept`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import GeneratorConfig
from ..errors import ConfigError, ExternalError, ValidationError
from ..models import Annotation, GenerationSpec, LayoutBox, Policy
from ..offline import apply_offline_defaults
from .base import GeneratedImage, SpecFailed
from .diffusion import (
    DiffusersGenerator,
    call_pipeline,
    chunked,
    load_pipeline,
    read_component_config,
    seeded,
)

log = logging.getLogger(__name__)

MAX_BOXES = 30  # the GLIGEN pipeline silently drops boxes beyond its 30 grounding slots
Checker = Callable[[Any, GenerationSpec], Sequence[tuple[str, Sequence[float]]]]


@dataclass
class ClassYield:
    """Objects of one class: asked for, found in their box by the checker, kept."""

    total: int = 0
    found: int = 0
    kept: int = 0

    @property
    def rate(self) -> float:
        return self.kept / self.total if self.total else 0.0


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def layout_annotations(layout: list[LayoutBox], width: int, height: int) -> list[Annotation]:
    """Normalised layout boxes -> pixel annotations, clipped to the image."""
    out = []
    for lb in layout:
        x0, y0, x1, y1 = lb.box
        px = (x0 * width, y0 * height, x1 * width, y1 * height)
        cl = (max(0.0, px[0]), max(0.0, px[1]), min(float(width), px[2]), min(float(height), px[3]))
        if cl[0] < cl[2] and cl[1] < cl[3]:
            out.append(Annotation(cls=lb.cls, box=cl, truncated=cl != px))
    return out


def phrase_for(lb: LayoutBox) -> str:
    return lb.phrase.strip() or lb.cls.replace("_", " ")


def faithful_boxes(annotations: list[Annotation], detections, threshold: float) -> list[bool]:
    """For each annotation: did a detection of the same class overlap it by >= threshold?"""
    dets = [(str(c), tuple(float(v) for v in b)) for c, b in detections]
    return [any(c == a.cls and iou(a.box, b) >= threshold for c, b in dets) for a in annotations]


class GligenGenerator(DiffusersGenerator):
    """StableDiffusionGLIGENPipeline with the spec's layout as grounding input.

    gen = GligenGenerator(GeneratorConfig(name="gligen", model="/models/gligen-1-4"),
                          checker=my_detector, iou_threshold=0.5)
    samples = list(gen.generate(specs, policy)); gen.class_yield["hard_hat"].rate
    """

    name = "gligen"

    def __init__(self, config: GeneratorConfig, *, checker: Checker | None = None,
                 iou_threshold: float = 0.5, attempts: int = 2,
                 scheduled_sampling_beta: float = 0.3):
        if not 0.0 < iou_threshold <= 1.0:
            raise ValidationError(f"iou_threshold {iou_threshold} must be in (0, 1]",
                                  "0.5 is the usual choice")
        if attempts < 1:
            raise ValidationError(f"attempts {attempts} must be >= 1", "use 1 for no retries")
        super().__init__(config)
        unet_cfg = read_component_config(self.folder, "unet")
        if unet_cfg.get("attention_type") != "gated":
            raise ConfigError(
                f"generator.model {self.model!r} is not a GLIGEN model (its UNet has no gated "
                "attention)", "use a GLIGEN checkpoint, e.g. masterful/gligen-1-4-generation-"
                "text-box, or generator.name = \"diffusers\" for plain text-to-image")
        self.checker = checker
        self.iou_threshold = iou_threshold
        self.attempts = attempts if checker is not None else 1
        self.beta = scheduled_sampling_beta
        self.class_yield: dict[str, ClassYield] = {}
        self._plain = None

    def load(self):
        """Load the GLIGEN pipeline (and a plain text-to-image view of the same weights,
        used for specs with an empty layout, such as hard negatives)."""
        if self._pipe is None:
            apply_offline_defaults()
            from diffusers import StableDiffusionGLIGENPipeline, StableDiffusionPipeline

            self._pipe = load_pipeline(StableDiffusionGLIGENPipeline, self.folder, self.device,
                                       self.model)
            parts = {k: v for k, v in self._pipe.components.items()
                     if k in ("vae", "text_encoder", "tokenizer", "unet", "scheduler",
                              "safety_checker", "feature_extractor")}
            self._plain = StableDiffusionPipeline(**parts, requires_safety_checker=False)
            self._plain.set_progress_bar_config(disable=True)
        return self._pipe

    def generate(self, specs: Iterable[GenerationSpec], policy: Policy) -> Iterator[GeneratedImage]:
        """Yield one image per spec whose objects stayed in their boxes (all, without a
        checker). Specs with the same layout share a pipeline call (GLIGEN grounds one
        layout per call)."""
        self.load()
        for batch in chunked(specs, self.config.batch_size):
            for spec in batch:
                if len(spec.layout) > MAX_BOXES:  # the runner records it and goes on
                    raise SpecFailed(spec.id, f"{len(spec.layout)} layout boxes; GLIGEN grounds "
                                              f"at most {MAX_BOXES}")
            groups: dict[tuple, list[GenerationSpec]] = {}
            for spec in batch:
                key = tuple((phrase_for(b), b.box) for b in spec.layout)
                groups.setdefault(key, []).append(spec)
            for group in groups.values():
                yield from self._generate_group(group, policy)

    def _generate_group(self, group: list[GenerationSpec], policy: Policy):
        pending = [(s, s.seed) for s in group]
        for attempt in range(self.attempts):
            if not pending:
                return
            images, each = self._render([s for s, _ in pending], [seed for _, seed in pending])
            retry = []
            for (spec, seed), (img, bad) in zip(pending, images, strict=True):
                if bad:
                    self._skip(spec, "the model's safety checker blanked the image")
                    continue
                anns = layout_annotations(spec.layout, img.width, img.height)
                hits = self._check(img, spec, anns)
                last = attempt == self.attempts - 1
                if all(hits) or last:
                    self._count(anns, hits, kept=all(hits))
                if all(hits):
                    note = f"gligen layout; retry {attempt} with derived seed" if attempt else ""
                    gen = self._to_generated(spec, policy, img, each, seed=seed,
                                             note=note or "gligen layout: boxes known by construction")
                    gen.annotations = anns
                    yield gen
                elif last:
                    lost = sorted({a.cls for a, h in zip(anns, hits, strict=True) if not h})
                    self._skip(spec, f"objects left their boxes ({', '.join(lost)}) after "
                                     f"{self.attempts} attempt(s)")
                else:
                    retry.append((spec, (spec.seed + (attempt + 1) * 1_000_003) % 2**32))
            pending = retry

    def _render(self, specs: list[GenerationSpec], seeds: list[int]):
        t0 = time.perf_counter()
        first = specs[0]
        negs = [s.negative_prompt for s in specs]
        common = dict(prompt=[s.prompt for s in specs],
                      negative_prompt=negs if any(negs) else None,
                      width=self.width, height=self.height,
                      num_inference_steps=self.config.steps, guidance_scale=self.config.guidance,
                      generator=[seeded(x) for x in seeds])
        if first.layout:
            out = call_pipeline(self._pipe, gligen_phrases=[phrase_for(b) for b in first.layout],
                                gligen_boxes=[list(b.box) for b in first.layout],
                                gligen_scheduled_sampling_beta=self.beta, **common)
        else:
            out = call_pipeline(self._plain, **common)
        flagged = getattr(out, "nsfw_content_detected", None) or [False] * len(specs)
        return list(zip(out.images, flagged, strict=True)), (time.perf_counter() - t0) / len(specs)

    def _check(self, img, spec: GenerationSpec, anns: list[Annotation]) -> list[bool]:
        if self.checker is None or not anns:
            return [True] * len(anns)
        try:
            dets = self.checker(img, spec)
        except Exception as e:
            raise ExternalError(f"the box checker failed on spec {spec.id}: {type(e).__name__}: {e}",
                                "check the checker callable you passed to GligenGenerator") from e
        return faithful_boxes(anns, dets, self.iou_threshold)

    def _count(self, anns: list[Annotation], hits: list[bool], *, kept: bool) -> None:
        for a, hit in zip(anns, hits, strict=True):
            y = self.class_yield.setdefault(a.cls, ClassYield())
            y.total += 1
            y.found += int(hit)
            y.kept += int(kept)

    def yield_table(self) -> dict[str, dict[str, float]]:
        """Per-class yield as plain numbers, for reports and logs."""
        return {c: {"total": y.total, "found": y.found, "kept": y.kept, "rate": round(y.rate, 4)}
                for c, y in sorted(self.class_yield.items())}

    def close(self) -> None:
        """Drop both pipelines and free GPU memory."""
        self._plain = None
        super().close()

