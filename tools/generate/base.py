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
