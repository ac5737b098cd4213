"""ProceduralGenerator: GenerationSpecs -> PNGs with exact boxes, on the CPU, no weights."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool

from ...config import GeneratorConfig
from ...models import Annotation, GenerationSpec, Policy, Provenance
from ..base import GeneratedImage, SpecFailed
from .appearance import COLOURS, derive_looks, look_for, tokens
from .faults import FaultPlan, PlantedFault, choose, fix_labels, render_job
from .pool import RenderPool, default_workers, render_chunk
from .scene import ClassTable, Job

log = logging.getLogger(__name__)
VERSION = "1.0"
NOTE = ("procedural simulator: parametric shapes, not photoreal; for developing and testing "
        "the loop offline")
_HEAD_DECOYS = {"cap": "cap", "beanie": "hairnet", "hood": "hairnet", "bandana": "band",
                "headscarf": "band", "headband": "band", "headphones": "earmuffs"}
_GLOSS = {"reflection", "reflections", "reflective", "shiny", "polished", "glossy", "glare"}


class ProceduralGenerator:
    """The offline default generator: a scene simulator for developing and testing the
    improvement loop, honest about not being photoreal. Each policy class gets a distinct
    parametric look (from its name and `appears`), each variable value a rendering effect
    (light, weather, background, clutter, occlusion, blur, colours; see effects.py), and
    each box of the spec's layout holds its object exactly, so annotations are ground truth
    by construction. Same spec, same PNG bytes, on any machine with the same Pillow.

    gen = ProceduralGenerator(320, 320, workers=2)
    images = list(gen.generate(specs, policy))
    gen.close()

    `workers` processes render in parallel (0 = one per CPU; 1 renders in this process).
    Hard-negative and edge-case scenarios get unlabelled decoys their description asks
    for (a cap instead of a hard hat, an orange T-shirt, shiny floor reflections).

    `faults=FaultPlan(...)` (benchmarks only, off by default) plants wrong labels in a
    fraction of images; what was planted is in `self.planted`, keyed by spec id, and
    never on the image's labels (see faults.py).
    """

    name = "procedural"
    version = VERSION
    model = "procedural-scenes"

    def __init__(self, width: int = 320, height: int = 320, *, workers: int = 0,
                 chunk_size: int = 8, compress_level: int = 1, faults: FaultPlan | None = None):
        self.width, self.height = int(width), int(height)
        self.workers = workers or default_workers()
        self.chunk_size = max(1, chunk_size)
        self.compress_level = compress_level
        self.stats_keys: tuple[str, ...] = ()
        self._pool = RenderPool(self.workers) if self.workers > 1 else None
        self.faults = faults
        self.planted: dict[str, PlantedFault] = {}
        self._planned: dict[str, tuple] = {}

    @classmethod
    def from_config(cls, config: GeneratorConfig) -> ProceduralGenerator:
        return cls(config.width, config.height, workers=config.workers)

    def request_stats(self, keys: Iterable[str]) -> None:
        """Compute these image statistics in the workers (see tools.quality.stats)."""
        self.stats_keys = tuple(sorted(set(keys)))

    def generate(self, specs: Iterable[GenerationSpec], policy: Policy) -> Iterator[GeneratedImage]:
        """Yield one image per spec, in input order. A spec that fails to render raises
        SpecFailed after every image before it was yielded."""
        table = class_table(policy)
        decoys = scenario_decoys(policy)
        in_flight: deque[list[GenerationSpec]] = deque()

        def chunk_args() -> Iterator[tuple]:
            nonlocal table
            chunk: list[GenerationSpec] = []
            for spec in specs:
                chunk.append(spec)
                if len(chunk) >= self.chunk_size:
                    table = _with_unknown(table, chunk)
                    in_flight.append(chunk)
                    yield self._args(table, chunk, decoys)
                    chunk = []
            if chunk:
                table = _with_unknown(table, chunk)
                in_flight.append(chunk)
                yield self._args(table, chunk, decoys)

        args_iter = chunk_args()
        if self._pool is not None:
            try:
                for rendered in self._pool.imap(render_chunk, args_iter, window=2 * self.workers + 2):
                    yield from self._emit(in_flight.popleft(), rendered, policy)
                return
            except BrokenProcessPool:
                if self._pool.completed:
                    raise
                # The workers died before their first result: typically a script without
                # an `if __name__ == "__main__":` guard, which every worker re-runs. Render
                # here instead of failing the run.
                log.warning("procedural worker processes could not start; rendering in this "
                            "process (guard the script's entry point with "
                            "`if __name__ == \"__main__\":` to use %d workers)", self.workers)
                self._pool.close()
                self._pool = None
                for chunk in list(in_flight):
                    in_flight.popleft()
                    yield from self._emit(chunk, render_chunk(*self._args(table, chunk, decoys)), policy)
        for args in args_iter:
            yield from self._emit(in_flight.popleft(), render_chunk(*args), policy)

    def _emit(self, chunk: list[GenerationSpec], rendered: list, policy: Policy) -> Iterator[GeneratedImage]:
        for spec, (spec_id, png, anns, elapsed, stats, error) in zip(chunk, rendered, strict=True):
            if error is not None:
                raise SpecFailed(spec_id, error)
            if spec_id in self._planned:
                job, planned = self._planned.pop(spec_id)
                anns, self.planted[spec_id] = fix_labels(job, planned, anns, self.width, self.height)
            yield self._to_image(spec, policy, png, anns, elapsed, stats)

    def _args(self, table: ClassTable, chunk: list[GenerationSpec], decoys: dict) -> tuple:
        jobs = [Job(s.id, s.seed, tuple(sorted(s.variables.items())),
                    tuple((b.cls, b.box, b.parent) for b in s.layout),
                    decoys.get(s.scenario_id, ())) for s in chunk]
        if self.faults is not None:
            jobs = [self._plant(j, table) for j in jobs]
        return (table, jobs, self.width, self.height, self.compress_level, self.stats_keys)

    def _plant(self, job: Job, table: ClassTable) -> Job:
        planned = choose(self.faults, job, table)
        if planned is None:
            return job
        self._planned[job.spec_id] = (job, planned)
        return render_job(job, planned)

    def _to_image(self, spec: GenerationSpec, policy: Policy, png: bytes, anns: list,
                  elapsed: float, stats: dict) -> GeneratedImage:
        annotations = [Annotation(cls=c, box=(round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)),
                                  occluded=occ, truncated=trunc)
                       for c, x0, y0, x1, y1, occ, trunc in anns]
        prov = Provenance(generator=self.name, generator_version=self.version, model=self.model,
                          seed=spec.seed, elapsed_s=round(elapsed, 5), note=NOTE + (
                              f"; benchmark mode: label faults planted in {self.faults.fraction:.0%} "
                              f"of images per kind ({', '.join(self.faults.kinds)})"
                              if self.faults is not None else ""))
        label = None
        if policy.task == "classification":
            sc = policy.get_scenario(spec.scenario_id)
            label = spec.label or ((sc.label or sc.kind) if sc else None)
        return GeneratedImage(spec=spec, png=png, width=self.width, height=self.height,
                              annotations=annotations, provenance=prov, label=label,
                              stats=stats)

    def close(self) -> None:
        """Stop the worker processes (a later generate() starts them again)."""
        if self._pool is not None:
            self._pool.close()

    def __enter__(self) -> ProceduralGenerator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def class_table(policy: Policy) -> ClassTable:
    """The drawing data of a policy's classes."""
    looks = derive_looks([(c.name, c.appears, c.description) for c in policy.classes])
    return ClassTable({k: v.as_tuple() for k, v in looks.items()},
                      {c.name: c.appears for c in policy.classes})


def _with_unknown(table: ClassTable, chunk: list[GenerationSpec]) -> ClassTable:
    # A layout may name a class the policy lacks (an older policy version): it still renders.
    unknown = {b.cls for s in chunk for b in s.layout} - set(table.looks)
    if not unknown:
        return table
    looks, appears = dict(table.looks), dict(table.appears)
    for cls in sorted(unknown):
        looks[cls] = look_for(cls, "standalone").as_tuple()
        appears[cls] = "standalone"
    return ClassTable(looks, appears)


def scenario_decoys(policy: Policy) -> dict[str, tuple[str, ...]]:
    """Unlabelled look-alikes that hard-negative and edge-case scenarios describe:
    'head:<painter>' on people without a head item, 'shirt:r,g,b', 'gloss'."""
    out: dict[str, tuple[str, ...]] = {}
    for sc in policy.scenarios:
        if sc.kind not in ("hard_negative", "edge_case"):
            continue
        toks = tokens(sc.description)
        found: list[str] = []
        head = next((_HEAD_DECOYS[t] for t in toks if t in _HEAD_DECOYS), None)
        if head:
            found.append(f"head:{head}")
        text = " ".join(toks)
        if re.search(r"\b(t shirt|tshirt|shirt|top|jacket|jumper|hoodie)\b", text):
            colour = next((COLOURS[t] for t in toks if t in COLOURS), None)
            if colour:
                found.append("shirt:" + ",".join(map(str, colour)))
        if set(toks) & _GLOSS:
            found.append("gloss")
        if found:
            out[sc.id] = tuple(found)
    return out
