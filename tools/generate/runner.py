"""The generation runner: specs in, stored samples out, for any generator.

`generate_samples` streams specs through a generator and stores each batch of results (PNG
files content-addressed, Sample and spec rows) in one workspace transaction. It is
idempotent: a spec that already has a sample is skipped, so a killed run, re-run, resumes
with nothing lost and nothing duplicated. Quality filters may drop images (each drop is
counted with its reason) and verifiers may flag them for review (never dropped).

A spec the generator fails on is recorded in `GenerationResult.failed` and the run goes
on; a configuration problem (a UserError or ExternalError from the generator) stops it.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import GeneratorConfig
from ..errors import ConfigError, ExternalError, SynthloopError
from ..models import GenerationSpec, Policy, Provenance, Sample, sha256_hex
from .base import GeneratedImage, Generator, SpecFailed
from .progress import generation_progress

if TYPE_CHECKING:
    from ..quality.filters import ImageFilter
    from ..quality.verify import Verifier
    from ..store import Workspace

log = logging.getLogger(__name__)
MAX_FAILURE_STREAK = 20  # consecutive failed specs with no success: the generator is broken


@dataclass
class GenerationResult:
    """What one `generate_samples` call did."""

    requested: int = 0
    skipped_existing: int = 0
    duplicates_in_input: int = 0
    generated: int = 0
    dropped_by_filter: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    flagged: int = 0
    elapsed_s: float = 0.0
    per_class: dict[str, int] = field(default_factory=dict)
    sample_ids: list[str] = field(default_factory=list)
    generator: str = ""

    @property
    def dropped(self) -> int:
        return sum(self.dropped_by_filter.values())

    @property
    def images_per_s(self) -> float:
        """Stored images per second of wall time."""
        return self.generated / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (sample ids left out)."""
        return {"generator": self.generator, "requested": self.requested,
                "skipped_existing": self.skipped_existing,
                "duplicates_in_input": self.duplicates_in_input, "generated": self.generated,
                "dropped_by_filter": dict(self.dropped_by_filter), "failed": len(self.failed),
                "flagged": self.flagged, "elapsed_s": round(self.elapsed_s, 3),
                "images_per_s": round(self.images_per_s, 1), "per_class": dict(self.per_class)}


def sample_id_for(spec_id: str, generator: Generator) -> str:
    """The sample id of a spec made by a generator: the same inputs always give the same id."""
    ident = f"{spec_id}|{generator.name}|{generator.version}|{generator.model}"
    return sha256_hex(ident)[:20]


def make_generator(config: GeneratorConfig) -> Generator:
    """The generator `config.name` names: procedural (default), diffusers or gligen. The
    diffusion generators are imported only when asked for (they load torch)."""
    if config.name == "procedural":
        from .procedural import ProceduralGenerator

        return ProceduralGenerator.from_config(config)
    if config.name == "diffusers":
        module, cls = "diffusion", "DiffusersGenerator"
    elif config.name == "gligen":
        module, cls = "gligen", "GligenGenerator"
    else:
        raise ConfigError(f"unknown generator {config.name!r}",
                          "use one of: procedural, diffusers, gligen")
    try:
        mod = importlib.import_module(f"{__package__}.{module}")
    except ImportError as e:
        raise ExternalError(f"the {config.name} generator cannot be loaded: {e}",
                            "install the diffusion extras, or use generator.name = \"procedural\"") from e
    return getattr(mod, cls)(config)


class _PendingSpecs:
    """The specs still to generate, read lazily from the caller's iterable in batches:
    skips specs that already have a sample or appeared before in this run, and tracks the
    ones handed to the generator and not yet returned (in flight). All state lives here,
    not in a generator frame, so after a failure a fresh iteration goes on where the last
    one stopped."""

    def __init__(self, ws: Workspace, specs: Iterable[GenerationSpec], batch: int,
                 result: GenerationResult, advance):
        self._ws, self._source, self._batch = ws, iter(specs), batch
        self._result, self._advance = result, advance
        self._seen: set[str] = set()
        self._ready: deque[GenerationSpec] = deque()
        self._exhausted = False
        self.taken = 0
        self.requeued: list[GenerationSpec] = []
        self.in_flight: dict[str, GenerationSpec] = {}

    def __iter__(self) -> Iterator[GenerationSpec]:
        while True:
            if self.requeued:
                spec = self.requeued.pop(0)
            elif self._ready:
                spec = self._ready.popleft()
            elif self._exhausted:
                return
            else:
                self._fill()
                continue
            self.in_flight[spec.id] = spec
            self.taken += 1
            yield spec

    @property
    def exhausted(self) -> bool:
        """Nothing left: the input is read to its end and nothing waits to be retried."""
        return self._exhausted and not self._ready and not self.requeued

    def _fill(self) -> None:
        batch = list(itertools.islice(self._source, self._batch))
        if not batch:
            self._exhausted = True
            return
        self._result.requested += len(batch)
        fresh = []
        for s in batch:
            if s.id in self._seen:
                self._result.duplicates_in_input += 1
                self._advance(1)
            else:
                self._seen.add(s.id)
                fresh.append(s)
        have = self._ws.spec_ids_with_samples(s.id for s in fresh)
        self._result.skipped_existing += len(have)
        self._advance(len(have))
        self._ready.extend(s for s in fresh if s.id not in have)

    def returned(self, spec_id: str) -> bool:
        return self.in_flight.pop(spec_id, None) is not None

    def requeue(self, specs: list[GenerationSpec]) -> None:
        self.requeued = list(specs) + self.requeued

    def take_in_flight(self) -> list[GenerationSpec]:
        specs = list(self.in_flight.values())
        self.in_flight.clear()
        return specs


def generate_samples(ws: Workspace, policy: Policy, specs: Iterable[GenerationSpec],
                     generator: Generator, *, batch_size: int = 64, progress: bool = True,
                     filters: list[ImageFilter] | None = None,
                     verifiers: list[Verifier] | None = None) -> GenerationResult:
    """Generate and store a sample for every spec that has none yet.

    Args:
        ws: a workspace opened for writing.
        policy: the policy the specs were made from (classes, task).
        specs: any iterable, read lazily; specs whose id already has a sample are skipped.
        generator: e.g. `make_generator(load_config(ws.root).generator)`.
        batch_size: samples stored per transaction (and specs checked per query).
        progress: show a progress bar with images/s and ETA.
        filters: quality filters, asked in order; the first drop reason wins.
        verifiers: add flags for review to the samples they doubt (never drop).

    Returns the counts (generated, skipped, dropped with reasons, failed with errors,
    per-class objects) and the new sample ids.

    result = generate_samples(ws, policy, expand_specs(policy, 100), ProceduralGenerator())
    result.generated, result.images_per_s
    """
    run = _Run(ws, policy, generator, batch_size, list(filters or []), list(verifiers or []))
    total = len(specs) if hasattr(specs, "__len__") else None  # type: ignore[arg-type]
    started = time.perf_counter()
    with generation_progress(total, enabled=progress, label=generator.name) as bar:
        run.bar = bar
        run.pending = _PendingSpecs(ws, specs, batch_size, run.result, bar.advance)
        try:
            run.drive()
            run.flush()
        except BaseException:
            # Keep what is complete (Ctrl-C, a broken generator): finished images are stored;
            # a batch is one transaction, so nothing is ever half-written.
            try:
                run.flush()
            except Exception:  # already failing; the original error matters more
                log.exception("could not store the last batch")
            raise
        finally:
            run.result.elapsed_s = time.perf_counter() - started
            run.result.per_class = dict(sorted(run.per_class.items()))
    return run.result


class _Run:
    """The state of one generate_samples call."""

    def __init__(self, ws: Workspace, policy: Policy, generator: Generator, batch_size: int,
                 filters: list, verifiers: list):
        self.ws, self.policy, self.generator = ws, policy, generator
        self.batch_size, self.filters, self.verifiers = batch_size, filters, verifiers
        self.needed = frozenset().union(*(f.needs for f in filters)) if filters else frozenset()
        if self.needed and hasattr(generator, "request_stats"):
            generator.request_stats(self.needed)
        self.result = GenerationResult(generator=f"{generator.name} {generator.version}".strip())
        self.per_class: Counter[str] = Counter()
        self.buffer: list[tuple[GeneratedImage, list[str]]] = []
        self.failures_at_last_success = 0
        self.bar: Any = None
        self.pending: _PendingSpecs = None  # type: ignore[assignment]

    @property
    def streak(self) -> int:
        """Specs failed since the last image that came out."""
        return len(self.result.failed) - self.failures_at_last_success

    def drive(self) -> None:
        """Run the generator over the pending specs until every one is done or failed,
        restarting it after a per-spec failure."""
        while True:
            taken_before = self.pending.taken
            if self._stream():
                continue  # a spec failed; the others were queued again
            skipped = dict(getattr(self.generator, "skipped", None) or [])
            for spec in self.pending.take_in_flight():  # taken, never given back
                self.fail(spec.id, skipped.get(spec.id, "the generator returned no image"))
            if self.pending.exhausted:
                return
            if self.pending.taken == taken_before:
                raise ExternalError(f"the {self.generator.name} generator stopped without "
                                    "taking the remaining specs", "this is a bug in the generator")

    def _stream(self) -> bool:
        """One pass of the generator; True when it ended with a (recovered) failure. Only
        the generator's own errors are recovered from: an error storing or filtering an
        image (disk full, a bug) ends the run."""
        stream = iter(self.generator.generate(self.pending, self.policy))
        while True:
            try:
                img = next(stream)
            except StopIteration:
                return False
            except SynthloopError:
                raise  # configuration or input problems: retrying would fail the same way
            except Exception as e:
                self.recover(e)
                if self.streak >= MAX_FAILURE_STREAK:
                    raise ExternalError(
                        f"the {self.generator.name} generator failed on {self.streak} specs in "
                        f"a row, the last with: {self.result.failed[-1][1]}",
                        "check the generator's settings; the log file has each error") from e
                return True
            self.accept(img)

    def accept(self, img: GeneratedImage) -> None:
        if not self.pending.returned(img.spec.id):
            log.warning("generator %s returned spec %s twice or unasked; ignored",
                        self.generator.name, img.spec.id)
            return
        self.failures_at_last_success = len(self.result.failed)
        reason = _filter_reason(img, self.filters, self.needed)
        if reason is not None:
            self.result.dropped_by_filter[reason] = self.result.dropped_by_filter.get(reason, 0) + 1
        else:
            flags = _verify(img, self.generator, self.verifiers) if self.verifiers else []
            self.buffer.append((img, flags))
        self.bar.advance(1, generated=self.result.generated + len(self.buffer))
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        # taken out first: a batch whose storing failed is not tried again on the way out
        batch, self.buffer = self.buffer, []
        if batch:
            _store_batch(self.ws, self.generator, batch, self.result, self.per_class)

    def fail(self, spec_id: str, message: str) -> None:
        log.warning("spec %s failed: %s", spec_id, message)
        self.result.failed.append((spec_id, message))
        self.bar.advance(1)

    def recover(self, error: Exception) -> None:
        """After the generator raised: record the spec that failed and queue the other
        in-flight specs again. Without a spec id (any exception but SpecFailed) each
        in-flight spec is retried alone, so only the ones that fail are recorded."""
        in_flight = self.pending.take_in_flight()
        if not in_flight:  # it failed before taking a spec: nothing to narrow down, retrying loops
            raise ExternalError(f"the {self.generator.name} generator failed before making any "
                                f"image: {type(error).__name__}: {error}",
                                "check the generator's settings and the log file") from error
        if isinstance(error, SpecFailed) and error.spec_id in {s.id for s in in_flight}:
            self.fail(error.spec_id, error.message)
            self.pending.requeue([s for s in in_flight if s.id != error.spec_id])
            return
        log.warning("generator %s raised %s: %s; retrying %d spec(s) one by one",
                    self.generator.name, type(error).__name__, error, len(in_flight))
        for i, spec in enumerate(in_flight):
            if self.streak >= MAX_FAILURE_STREAK:
                self.pending.requeue(in_flight[i:])
                return
            try:
                images = list(self.generator.generate([spec], self.policy))
            except SynthloopError:
                self.pending.requeue(in_flight[i + 1:])
                raise
            except Exception as e:
                self.fail(spec.id, f"{type(e).__name__}: {e}")
                continue
            self.pending.in_flight[spec.id] = spec
            for img in images:
                self.accept(img)
            if self.pending.in_flight.pop(spec.id, None) is not None:
                self.fail(spec.id, "the generator returned no image")


def _filter_reason(img: GeneratedImage, filters: list, needed: frozenset[str]) -> str | None:
    if not filters:
        return None
    from ..quality.stats import decode_png, image_stats

    stats = dict(img.stats)
    missing = needed - stats.keys()
    if missing:
        try:
            stats.update(image_stats(decode_png(img.png), missing))
        except ValueError:
            return "undecodable"
    for f in filters:
        reason = f.check(img, stats)
        if reason is not None:
            return reason
    return None


def _provenance(img: GeneratedImage, generator: Generator) -> Provenance:
    p = img.provenance
    if p is None:
        return Provenance(generator=generator.name, generator_version=generator.version,
                          model=generator.model, seed=img.spec.seed)
    updates = {k: v for k, v in (("generator_version", generator.version), ("model", generator.model),
                                 ("seed", img.spec.seed)) if not getattr(p, k)}
    return p.model_copy(update=updates) if updates else p


def _build_sample(img: GeneratedImage, generator: Generator, image_path: str, flags: list[str]) -> Sample:
    spec = img.spec
    return Sample(id=sample_id_for(spec.id, generator), spec_id=spec.id, image=image_path,
                  width=img.width, height=img.height, annotations=img.annotations,
                  label=img.label, scenario_id=spec.scenario_id, variables=dict(spec.variables),
                  split=spec.split, source="synthetic", provenance=_provenance(img, generator),
                  flags=flags)


def _verify(img: GeneratedImage, generator: Generator, verifiers: list) -> list[str]:
    draft = _build_sample(img, generator, "unsaved", [])
    flags: list[str] = []
    for v in verifiers:
        try:
            flags += [f for f in v.verify(draft, img.png) if f not in flags]
        except Exception as e:  # a verifier must never cost a sample
            log.warning("verifier %s failed on spec %s: %s", getattr(v, "name", v), img.spec.id, e)
    return flags


def _store_batch(ws: Workspace, generator: Generator,
                 batch: list[tuple[GeneratedImage, list[str]]], result: GenerationResult,
                 per_class: Counter[str]) -> None:
    """Files, spec rows and sample rows of one batch, all or nothing."""
    samples = []
    with ws.transaction():
        ws.save_specs([img.spec for img, _ in batch])
        for img, flags in batch:
            path = ws.put_bytes(img.png, img.ext)
            samples.append(_build_sample(img, generator, path, flags))
        ws.save_samples(samples)
    for s in samples:
        result.sample_ids.append(s.id)
        per_class.update(a.cls for a in s.annotations)
        result.flagged += bool(s.flags)
    result.generated += len(samples)
