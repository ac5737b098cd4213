"""The generator interface: GenerationSpecs in, encoded images with ground truth out.

A generator only makes pictures; `tools.generate.runner.generate_samples` does the rest
(skipping specs that already have a sample, storing files content-addressed, saving Sample
rows in batches, the progress bar). So every generator (procedural, diffusers, gligen) gets
idempotence and resume for free.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..models import Annotation, GenerationSpec, Policy, Provenance


@dataclass
class GeneratedImage:
    """One generated image. `png` is the encoded file (workers encode, the runner stores)."""

    spec: GenerationSpec
    png: bytes
    width: int
    height: int
    annotations: list[Annotation] = field(default_factory=list)
    provenance: Provenance | None = None
    label: str | None = None
    ext: str = "png"
    # Statistics computed while the pixels were at hand (see tools.quality.stats): quality
    # filters read them instead of decoding the PNG again. Optional; may stay empty.
    stats: dict[str, float] = field(default_factory=dict)


class SpecFailed(Exception):
    """Raised by a generator for one spec it cannot render, after yielding the images that
    came before it; the runner records that spec as failed and carries on with the rest."""

    def __init__(self, spec_id: str, message: str):
        super().__init__(f"spec {spec_id}: {message}")
        self.spec_id = spec_id
        self.message = message


@runtime_checkable
class Generator(Protocol):
    """Anything that turns specs into images. `name`, `version` and `model` end up in each
    sample's provenance."""

    name: str
    version: str
    model: str

    def generate(self, specs: Iterable[GenerationSpec], policy: Policy) -> Iterator[GeneratedImage]:
        """Yield one GeneratedImage per spec (order may differ); a spec that cannot be
        rendered raises, the runner records it as failed."""
        ...

    def close(self) -> None:
        """Release workers, GPU memory."""
        ...
