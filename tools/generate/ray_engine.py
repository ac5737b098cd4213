"""The Ray engine: a generator that shards specs into batches for a pool of Ray actors.

`RayGenerator` is a `Generator` like any other, so `runner.generate_samples` drives it and
does what it always does on this (the driver) process alone: skip specs that already have
a sample, run the quality filters, store each batch of images (files first, then the rows
in one transaction) and show the progress bar. SQLite stays single-writer; the actors only
make pixels. Samples are keyed by spec hash exactly as with the local engine (the actors
report their generator's name, version and model, which make the sample id), so a rerun or
a resume after the driver was killed skips what is stored and duplicates nothing.

    actors      one per CPU of the cluster for the procedural generator (each renders in its
                own process: `workers = 1`), one per GPU for diffusers and GLIGEN
                (`num_gpus=1`; the pipeline is loaded once per actor, fp16 on CUDA)
    batches     `ray_batch_size` specs per actor call, at most three calls queued per
                actor; the next batch is sent before the last one's images are stored, so
                an actor never waits for the driver; the caller's spec stream is read
                lazily, memory stays flat
    streaming   `ray.wait` hands back whichever batch finishes first; images are yielded at
                once (order differs from the input, which the runner allows)
    transfer    an image comes back without its spec (the driver sent it and holds it;
                unpickling it again cost the driver more than the rest of the image), and
                with the statistics the quality filters read (`request_stats`): measured by
                the generator while the pixels were at hand (procedural), else by the worker
                from the PNG (diffusers, GLIGEN); the driver decodes no PNG
    failures    a spec the generator cannot render (SpecFailed, a safety-checker skip) is
                reported for that spec alone; a batch whose worker raised or died is tried
                again on another worker (a dead actor is replaced) up to `ray_max_retries`
                times, then its specs are reported as failed; `MAX_FAILED_BATCHES` batches in
                a row failing that way stop the run. A SynthloopError from a worker (a bad
                setting, missing weights) stops the run at once: retrying fails the same way.

Ray's start neither downloads nor reaches the network: no dashboard, no usage stats
(RAY_USAGE_STATS_ENABLED=0), the node address pinned to 127.0.0.1 for a local Ray, workers'
logs kept out of the driver's terminal (they are in Ray's session folder, /tmp/ray). A local
Ray runs its workers at normal priority (Ray's default is nice 15). Ray 2.60 writes a token
for its local authentication to ~/.ray/auth_token and says so once on stderr.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..config import GenerationConfig, GeneratorConfig
from ..errors import ConfigError, ExternalError, SynthloopError
from ..models import GenerationSpec, Policy, sha256_hex
from ..offline import apply_offline_defaults
from .base import GeneratedImage, Generator, SpecFailed

log = logging.getLogger(__name__)
MAX_FAILED_BATCHES = 3  # batches in a row that exhausted their retries: the workers are broken
CALLS_PER_ACTOR = 3  # batches queued per actor: one running, two ready (slack while the driver stores)
START_TIMEOUT_S = 300.0  # actors being scheduled and built (a node may still be joining)
_GPU_GENERATORS = ("diffusers", "gligen")
_HINT_ADDRESS = ("check generation.ray_address (`ray status` on the head node shows it), or "
                 "unset it to start a local Ray on this machine")

Factory = Callable[[GeneratorConfig], Generator]


def _default_factory(config: GeneratorConfig) -> Generator:
    from .runner import make_generator

    return make_generator(config)


class GenerationWorker:
    """The body of one Ray actor: builds the generator once, then renders batches.

    An error while building (a missing model folder) is kept and raised by `describe`, so
    the driver sees the generator's own one-line error instead of a dead actor."""

    def __init__(self, config: GeneratorConfig, factory: Factory | None = None):
        self._gen: Generator | None = None
        self._error: BaseException | None = None
        self._policy: tuple[str, Policy] | None = None
        self._stats: tuple[str, ...] = ()
        try:
            self._gen = (factory or _default_factory)(config)
        except Exception as e:  # re-raised by describe()/run()
            self._error = e

    def _generator(self) -> Generator:
        if self._error is not None:
            raise self._error
        assert self._gen is not None
        return self._gen

    def describe(self) -> tuple[str, str, str]:
        """The generator's name, version and model (they make the sample ids)."""
        g = self._generator()
        return g.name, g.version, g.model

    def set_policy(self, key: str, policy: Policy) -> None:
        self._policy = (key, policy)

    def run(self, specs: list[GenerationSpec], policy_key: str,
            stats_keys: tuple[str, ...]) -> tuple[list[tuple], list[tuple[str, str]]]:
        """Images of a batch (packed: see `_pack`) and the (spec id, reason) of specs that
        gave none. Anything but a per-spec failure raises: the driver retries the whole
        batch elsewhere."""
        gen = self._generator()
        if self._policy is None or self._policy[0] != policy_key:
            raise RuntimeError("the worker has not received the run's policy")
        policy = self._policy[1]
        if stats_keys != self._stats and hasattr(gen, "request_stats"):
            gen.request_stats(stats_keys)
            self._stats = stats_keys
        images: list[GeneratedImage] = []
        failed: list[tuple[str, str]] = []
        todo = list(specs)
        while todo:
            done: set[str] = set()
            try:
                for img in gen.generate(todo, policy):
                    images.append(img)
                    done.add(img.spec.id)
            except SpecFailed as e:  # that spec alone; go on with the rest of the batch
                failed.append((e.spec_id, e.message))
                done.add(e.spec_id)
                todo = [s for s in todo if s.id not in done]
                continue
            break
        if stats_keys:
            _add_stats(images, stats_keys)
        asked = {s.id for s in specs}
        skipped = getattr(gen, "skipped", None)
        if skipped:  # e.g. diffusers' safety checker: (spec id, why), yielded no image
            failed += [(sid, why) for sid, why in list(skipped) if sid in asked]
            skipped.clear()
        return [_pack(img, asked) for img in images], failed

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()


def _import_ray():
    apply_offline_defaults()  # RAY_USAGE_STATS_ENABLED=0 before ray is imported
    try:
        import ray
    except ImportError:
        raise ConfigError("generation.engine = \"ray\" needs Ray, which is not installed",
                          "pip install \"synthloop[ray]\", or set generation.engine = "
                          "\"local\"") from None
    return ray


def _host_port(address: str) -> tuple[str, int]:
    """(host, port) of `ray://host:port` or `host:port`; ConfigError when it is neither."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    if parts.scheme not in ("", "ray"):
        raise ConfigError(f"generation.ray_address {address!r}: unknown scheme {parts.scheme!r}",
                          "use ray://host:port (Ray Client), host:port (a GCS) or auto")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ConfigError(f"generation.ray_address {address!r} names no host and port",
                          "use ray://host:10001 (Ray Client), host:6379 (a GCS) or auto")
    return host, port


def probe(address: str, timeout_s: float) -> None:
    """Fail fast (one line) when `address` accepts no TCP connection: Ray itself would wait
    30 s or more before saying so."""
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as e:
        why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e) or type(e).__name__)
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {host}:{port} {why.lower()}",
                          _HINT_ADDRESS) from None


def connect(generation: GenerationConfig, *, num_cpus: int | None = None) -> bool:
    """Join the configured Ray (or start a local one); True when this call started or
    joined it (and close() should shut it down), False when Ray was already initialised by
    the caller (a notebook, a test), which is then used as it is."""
    ray = _import_ray()
    if ray.is_initialized():
        return False
    address = generation.ray_address
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if not address:
            from .procedural.pool import default_workers

            # Ray starts workers at nice 15: on a shared machine they then get a fraction
            # of a core (measured: 0.7x the in-process rate under a load of 5 on 2 cores)
            # address "local": always a new instance (never a `ray start` left running)
            ray.init(address="local", num_cpus=num_cpus or default_workers(), include_dashboard=False,
                     _node_ip_address="127.0.0.1", _system_config={"worker_niceness": 0},
                     **quiet)
        else:
            if address != "auto":
                probe(address, generation.ray_connect_timeout_s)
            ray.init(address=address, **quiet)
    except SynthloopError:
        raise
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as e:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ConfigError(f"cannot start or join {where}: {first}",
                          _HINT_ADDRESS if address else "see Ray's logs in /tmp/ray/session_latest") from None
    return True


@dataclass
class _Call:
    actor: int  # the slot in the pool
    handle: Any  # the actor itself (a slot gets a new one when its actor dies)
    batch: list[GenerationSpec]
    attempt: int  # 0 for the first try


class RayGenerator:
    """The configured generator on a pool of Ray actors (see the module docstring).

    gen = RayGenerator(GeneratorConfig(), GenerationConfig(engine="ray"))
    result = generate_samples(ws, policy, specs, gen)   # the driver writes the workspace
    gen.close()

    `factory` builds the generator inside each actor (default: `runner.make_generator`);
    it must be importable on the workers, like synthloop itself.
    """

    def __init__(self, config: GeneratorConfig, generation: GenerationConfig | None = None, *,
                 factory: Factory | None = None):
        generation = generation or GenerationConfig(engine="ray")
        self.config, self.generation, self._factory = config, generation, factory
        self.batch_size = generation.ray_batch_size
        self.max_retries = generation.ray_max_retries
        self.stats_keys: tuple[str, ...] = ()
        self.skipped: list[tuple[str, str]] = []  # (spec id, why): read by the runner
        self.batches = 0  # batches that came back with their images
        self.per_worker: Counter[int] = Counter()  # of those, per actor slot
        self.retries = 0  # batches tried again
        self.replaced = 0  # dead actors replaced
        self._ray = _import_ray()
        self._owns_ray = connect(generation)
        self._cls: Any = None
        self._actors: list[Any] = []
        self._load: list[int] = []
        self._policy_key: str | None = None
        self._policy: Policy | None = None
        try:
            self._start_actors()
        except BaseException:
            self.close()
            raise

    # -- actors -------------------------------------------------------------------------

    def _actor_options(self) -> dict[str, Any]:
        gpu = self.config.name in _GPU_GENERATORS and self.config.device != "cpu"
        return {"num_cpus": 0, "num_gpus": 1} if gpu else {"num_cpus": 1, "num_gpus": 0}

    def _count(self) -> int:
        """ray_workers, or one actor per CPU / GPU of the cluster. More workers than the
        cluster has room for is refused at once (they would wait to be scheduled)."""
        resources = self._ray.cluster_resources()
        gpu = bool(self._actor_options()["num_gpus"])
        kind = "GPU" if gpu else "CPU"
        have = int(resources.get(kind, 0))
        want = self.generation.ray_workers
        if have < 1 or want > have:
            what = f"{want} workers need {want} {kind}s" if want else f"the {self.config.name} generator needs a {kind}"
            raise ConfigError(f"the Ray cluster has {have} {kind}s: {what}",
                              "lower generation.ray_workers (0 = one per " + kind + "), add nodes"
                              + (", or set generator.device = \"cpu\"" if gpu else ""))
        return want or have

    def _new_actor(self):
        ray = self._ray
        config = self.config
        if config.name == "procedural":  # the actor is the unit of parallelism
            config = config.model_copy(update={"workers": 1})
        if self._cls is None:
            self._cls = ray.remote(GenerationWorker)
        actor = self._cls.options(max_restarts=0, max_task_retries=0,
                            **self._actor_options()).remote(config, self._factory)
        if self._policy_key is not None:
            actor.set_policy.remote(self._policy_key, self._policy)  # runs before any batch
        return actor

    def _start_actors(self) -> None:
        ray = self._ray
        n = self._count()
        self._actors = [self._new_actor() for _ in range(n)]
        self._load = [0] * n
        try:
            names = ray.get([a.describe.remote() for a in self._actors], timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            opts = self._actor_options()
            need = f"{opts['num_gpus']} GPU" if opts["num_gpus"] else f"{opts['num_cpus']} CPU"
            raise ExternalError(f"{n} Ray workers ({need} each) did not start within "
                                f"{START_TIMEOUT_S:.0f} s", "the cluster may lack the resources; "
                                "set generation.ray_workers lower") from None
        except ray.exceptions.RayTaskError as e:
            cause = e.cause if isinstance(e.cause, BaseException) else e
            if isinstance(cause, SynthloopError):
                raise cause from None
            raise ExternalError(f"the {self.config.name} generator could not be built on a Ray "
                                f"worker: {_short(cause)}", "check the generator's settings") from None
        except ray.exceptions.RayActorError as e:
            raise ExternalError(f"a Ray worker died while starting: {_short(e)}",
                                "see Ray's logs (/tmp/ray/session_latest/logs on the node)") from None
        self.name, self.version, self.model = names[0]
        log.info("ray engine: %d %s workers", n, self.name)

    @property
    def workers(self) -> int:
        return len(self._actors)

    def _replace(self, idx: int) -> None:
        try:
            self._ray.kill(self._actors[idx], no_restart=True)
        except Exception:  # already gone
            pass
        self._actors[idx] = self._new_actor()
        self._load[idx] = 0
        self.replaced += 1

    # -- the Generator protocol ------------------------------------------------------------

    def request_stats(self, keys: Iterable[str]) -> None:
        """Compute these image statistics on the workers (see tools.quality.stats)."""
        self.stats_keys = tuple(sorted(set(keys)))

    def generate(self, specs: Iterable[GenerationSpec], policy: Policy) -> Iterator[GeneratedImage]:
        """Yield one image per spec that renders, as batches come back (not in input
        order); specs that give none are listed in `self.skipped`."""
        ray = self._ray
        key = sha256_hex(policy.model_dump_json())[:20]
        if key != self._policy_key:
            self._policy_key, self._policy = key, policy
            ray.get([a.set_policy.remote(key, policy) for a in self._actors])
        batches = _chunks(specs, self.batch_size)
        retry: deque[tuple[_Call, int]] = deque()  # (the failed call, the actor it failed on)
        in_flight: dict[Any, _Call] = {}
        failed_in_a_row = 0
        source_done = False

        def submit(batch: list[GenerationSpec], attempt: int, avoid: int | None = None) -> None:
            order = sorted(range(len(self._actors)), key=lambda i: (i == avoid, self._load[i]))
            idx = order[0]
            ref = self._actors[idx].run.remote(batch, key, self.stats_keys)
            self._load[idx] += 1
            in_flight[ref] = _Call(idx, self._actors[idx], batch, attempt)

        def top_up() -> None:
            nonlocal source_done
            while retry:
                failed_call, avoid = retry.popleft()
                submit(failed_call.batch, failed_call.attempt + 1, avoid)
            while not source_done and len(in_flight) < CALLS_PER_ACTOR * len(self._actors):
                batch = next(batches, None)
                if batch is None:
                    source_done = True
                else:
                    submit(batch, 0)

        try:
            top_up()
            while in_flight:
                (ref,), _ = ray.wait(list(in_flight), num_returns=1)
                call = in_flight.pop(ref)
                self._load[call.actor] = max(0, self._load[call.actor] - 1)
                try:
                    images, failed = ray.get(ref)
                except ray.exceptions.RayError as e:
                    error = self._batch_error(e, call)
                    if call.attempt < self.max_retries:
                        self.retries += 1
                        log.warning("ray engine: a batch of %d specs failed on worker %d (%s); "
                                    "trying again on another worker (%d of %d)", len(call.batch),
                                    call.actor, error, call.attempt + 1, self.max_retries)
                        retry.append((call, call.actor))
                        top_up()
                        continue
                    log.warning("ray engine: a batch of %d specs failed %d times; last: %s",
                                len(call.batch), call.attempt + 1, error)
                    why = f"failed on Ray workers {call.attempt + 1} times; last: {error}"
                    self.skipped += [(s.id, why) for s in call.batch]
                    failed_in_a_row += 1
                    if failed_in_a_row >= MAX_FAILED_BATCHES:
                        raise ExternalError(
                            f"the Ray workers failed on {failed_in_a_row} batches in a row, each "
                            f"{call.attempt + 1} times; the last with: {error}",
                            "check the generator's settings; Ray's logs are in "
                            "/tmp/ray/session_latest/logs on each node") from None
                    top_up()
                    continue
                # the next batch goes out before these images are stored, so that no worker
                # waits while the driver writes
                top_up()
                failed_in_a_row = 0
                self.batches += 1
                self.per_worker[call.actor] += 1
                self.skipped += failed
                by_id = {s.id: s for s in call.batch}
                for packed in images:
                    yield _unpack(packed, by_id)
        finally:
            for ref in in_flight:  # stopped early (Ctrl-C, an error while storing)
                try:
                    ray.cancel(ref)
                except Exception:
                    pass

    def _batch_error(self, e: BaseException, call: _Call) -> str:
        """One line for a failed batch; replaces the actor when it died. A SynthloopError
        raised on the worker is raised here: retrying would fail the same way."""
        ray = self._ray
        if isinstance(e, ray.exceptions.RayTaskError):
            cause = e.cause if isinstance(e.cause, BaseException) else None
            if isinstance(cause, SynthloopError):
                raise cause from None
            return _short(cause) if cause is not None else _short(e)
        if isinstance(e, ray.exceptions.RayActorError):
            unavailable = getattr(ray.exceptions, "ActorUnavailableError", ())
            # its other queued batches fail the same way: replace the dead actor once
            if not isinstance(e, unavailable) and self._actors[call.actor] is call.handle:
                self._replace(call.actor)
            return f"the worker died ({type(e).__name__})"
        return _short(e)

    def close(self) -> None:
        """Stop the actors, and the local Ray when this generator started it."""
        ray = self._ray
        for actor in self._actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:
                pass
        self._actors, self._load = [], []
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
        self._owns_ray = False

    def __enter__(self) -> RayGenerator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _add_stats(images: list[GeneratedImage], keys: tuple[str, ...]) -> None:
    """The statistics the driver's filters read, for the images that came without them (the
    diffusion generators measure nothing): computed here from the PNG, as the driver would
    (tools.quality.stats), so the driver decodes none. An undecodable image is left as it
    is: the driver drops it as undecodable."""
    from ..quality.stats import decode_png, image_stats

    for img in images:
        missing = frozenset(keys) - img.stats.keys()
        if missing:
            try:
                img.stats = {**img.stats, **image_stats(decode_png(img.png), missing)}
            except ValueError:
                pass


_IMAGE_FIELDS = tuple(f.name for f in dataclasses.fields(GeneratedImage) if f.name != "spec")


def _pack(img: GeneratedImage, asked: set[str]) -> tuple:
    """An image for the trip to the driver: (spec id, spec, the other fields in order). The
    spec is left out (None) when it is one the driver sent: it has its own object."""
    sid = img.spec.id
    return (sid, None if sid in asked else img.spec, *(getattr(img, f) for f in _IMAGE_FIELDS))


def _unpack(packed: tuple, by_id: dict[str, GenerationSpec]) -> GeneratedImage:
    """The image `_pack` packed, with the driver's own spec object."""
    sid, spec, *rest = packed
    return GeneratedImage(spec if spec is not None else by_id[sid],
                          **dict(zip(_IMAGE_FIELDS, rest, strict=True)))


def _chunks(specs: Iterable[GenerationSpec], size: int) -> Iterator[list[GenerationSpec]]:
    batch: list[GenerationSpec] = []
    for spec in specs:
        batch.append(spec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[-1] if text else ''}".rstrip(": ")
