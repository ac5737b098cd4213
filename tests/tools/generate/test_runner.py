"""The generation runner: storage, idempotence, resume, failures, filters, verifiers."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synthloop.tools.config import GeneratorConfig
from synthloop.tools.errors import ExternalError, ValidationError
from synthloop.tools.generate import runner
from synthloop.tools.generate.base import GeneratedImage, SpecFailed
from synthloop.tools.generate.procedural import ProceduralGenerator
from synthloop.tools.generate.procedural.examples import ppe_policy, ppe_specs
from synthloop.tools.generate.runner import generate_samples, make_generator, sample_id_for
from synthloop.tools.models import GenerationSpec
from synthloop.tools.quality import BlankFilter, NearDuplicateFilter, default_filters
from tests.support.factories import png_of

SIZE = 96


@pytest.fixture
def policy(ws):
    return ws.save_policy(ppe_policy())


@pytest.fixture
def gen():
    g = ProceduralGenerator(SIZE, SIZE, workers=1)
    yield g
    g.close()


def specs_for(policy, n, seed=0):
    return ppe_specs(n, seed=seed, policy=policy)


class Wrapped:
    """A generator around the procedural one that misbehaves on purpose."""

    name, version, model = "wrapped", "1", "test"

    def __init__(self, inner, *, interrupt_after=None, fail_ids=(), raise_plain_on=(), error=None):
        self.inner, self.interrupt_after = inner, interrupt_after
        self.fail_ids, self.raise_plain_on, self.error = set(fail_ids), set(raise_plain_on), error
        self.made = 0

    def generate(self, specs, policy):
        for spec in specs:
            if self.error is not None:
                raise self.error
            if self.interrupt_after is not None and self.made >= self.interrupt_after:
                raise KeyboardInterrupt
            if spec.id in self.fail_ids:
                raise SpecFailed(spec.id, "cannot draw this one")
            if spec.id in self.raise_plain_on:
                raise RuntimeError(f"driver crashed on {spec.id}")
            (img,) = list(self.inner.generate([spec], policy))
            self.made += 1
            yield img

    def close(self):
        pass


def stored(ws):
    return list(ws.iter_samples())


def test_every_spec_becomes_one_stored_sample_with_its_provenance(ws, policy, gen):
    specs = specs_for(policy, 20)
    result = generate_samples(ws, policy, specs, gen, batch_size=8, progress=False)
    assert (result.requested, result.generated, result.skipped_existing) == (20, 20, 0)
    samples = {s.spec_id: s for s in stored(ws)}
    assert set(samples) == {s.id for s in specs}
    for spec in specs:
        s = samples[spec.id]
        assert s.id == sample_id_for(spec.id, gen) and s.source == "synthetic"
        assert (s.split, s.scenario_id, s.variables) == (spec.split, spec.scenario_id, spec.variables)
        assert (s.width, s.height) == (SIZE, SIZE) and len(s.annotations) == len(spec.layout)
        p = s.provenance
        assert (p.generator, p.generator_version, p.seed) == ("procedural", gen.version, spec.seed)
        assert "simulator" in p.note and p.elapsed_s > 0
        data = ws.path(s.image).read_bytes()
        assert s.image.endswith(".png") and Image.open(io.BytesIO(data)).size == (SIZE, SIZE)
    assert ws.counts()["specs"] == 20  # specs are stored with their samples
    from collections import Counter

    assert result.per_class == dict(Counter(b.cls for s in specs for b in s.layout))
    assert result.images_per_s > 0 and len(result.sample_ids) == 20


def test_a_rerun_skips_what_exists_and_duplicates_in_the_input(ws, policy, gen):
    specs = specs_for(policy, 10)
    generate_samples(ws, policy, specs[:6], gen, progress=False)
    again = generate_samples(ws, policy, iter(specs + specs[:3]), gen, progress=False)
    assert (again.requested, again.skipped_existing, again.duplicates_in_input, again.generated) == (13, 6, 3, 4)
    assert len(stored(ws)) == 10


def test_an_interrupted_run_resumes_with_nothing_lost_or_duplicated(ws, policy, gen):
    specs = specs_for(policy, 40)
    with pytest.raises(KeyboardInterrupt):
        generate_samples(ws, policy, specs, Wrapped(gen, interrupt_after=13), batch_size=5,
                         progress=False)
    kept = len(stored(ws))
    assert kept == 13  # finished images are flushed on the way out
    result = generate_samples(ws, policy, specs, gen, batch_size=5, progress=False)
    assert (result.skipped_existing, result.generated) == (13, 27)
    samples = stored(ws)
    assert len(samples) == 40 and len({s.spec_id for s in samples}) == 40
    files = [p for p in (ws.root / "files").rglob("*") if p.is_file()]
    assert len(files) == 40


def test_a_killed_process_resumes_to_exactly_n_unique_samples(ws, policy):
    n = 120
    script = textwrap.dedent(f"""
        import time
        from synthloop.tools.store import Workspace
        from synthloop.tools.generate.procedural import ProceduralGenerator
        from synthloop.tools.generate.procedural.examples import ppe_specs
        from synthloop.tools.generate.runner import generate_samples

        class Slow(ProceduralGenerator):
            def generate(self, specs, policy):
                for img in super().generate(specs, policy):
                    time.sleep(0.02)
                    yield img

        if __name__ == "__main__":
            ws = Workspace.open({str(ws.root)!r}, write=True)
            policy = ws.get_policy()
            generate_samples(ws, policy, ppe_specs({n}, policy=policy), Slow({SIZE}, {SIZE}, workers=1),
                             batch_size=8, progress=False)
    """)
    path = Path(ws.root).parent / "slow_gen.py"
    path.write_text(script)
    ws.close()  # the child takes the writer lock
    proc = subprocess.Popen([sys.executable, str(path)], cwd=os.getcwd())
    try:
        from synthloop.tools.store import Workspace

        deadline = time.time() + 60
        while time.time() < deadline:
            with Workspace.open(ws.root) as reader:
                if reader.counts()["samples"] >= 24:
                    break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Workspace.open(ws.root, write=True) as again:
        before = again.counts()["samples"]
        assert 24 <= before < n
        result = generate_samples(again, policy, ppe_specs(n, policy=policy),
                                  ProceduralGenerator(SIZE, SIZE, workers=1), progress=False)
        assert result.skipped_existing == before and result.generated == n - before
        samples = list(again.iter_samples())
        assert len(samples) == n and len({s.spec_id for s in samples}) == n
        assert {p.name for p in (again.root / "files").rglob("*.png")} == \
            {Path(s.image).name for s in samples}  # no orphan files from the killed batch


def test_a_generator_that_silently_skips_a_spec_gets_it_recorded(ws, policy, gen):
    specs = specs_for(policy, 5)

    class Skipper:
        name, version, model = "skipper", "1", ""
        skipped = [(specs[1].id, "the model's safety checker blanked the image")]

        def generate(self, specs_in, policy):
            for s in specs_in:
                if s.id != specs[1].id:
                    yield from gen.generate([s], policy)

    result = generate_samples(ws, policy, specs, Skipper(), progress=False)
    assert result.generated == 4 and result.failed == [(specs[1].id, Skipper.skipped[0][1])]


def test_a_spec_the_generator_cannot_render_is_recorded_and_the_rest_made(ws, policy, gen):
    specs = specs_for(policy, 12)
    bad = {specs[4].id, specs[9].id}
    result = generate_samples(ws, policy, specs, Wrapped(gen, fail_ids=bad), batch_size=4,
                              progress=False)
    assert result.generated == 10 and {i for i, _ in result.failed} == bad
    assert all("cannot draw" in e for _, e in result.failed)
    assert {s.spec_id for s in stored(ws)} == {s.id for s in specs} - bad


def test_an_anonymous_crash_is_narrowed_down_to_its_spec(ws, policy, gen):
    specs = specs_for(policy, 10)
    result = generate_samples(ws, policy, specs, Wrapped(gen, raise_plain_on={specs[6].id}),
                              progress=False)
    assert result.generated == 9
    assert [i for i, _ in result.failed] == [specs[6].id] and "driver crashed" in result.failed[0][1]


def test_a_generator_that_fails_every_spec_stops_the_run(ws, policy, gen, monkeypatch):
    monkeypatch.setattr(runner, "MAX_FAILURE_STREAK", 5)
    specs = specs_for(policy, 30)
    with pytest.raises(ExternalError, match="failed on 5 specs in a row"):
        generate_samples(ws, policy, specs, Wrapped(gen, fail_ids={s.id for s in specs}),
                         progress=False)


def test_configuration_errors_from_the_generator_stop_at_once(ws, policy, gen):
    err = ValidationError("model folder missing", "set generator.model")
    with pytest.raises(ValidationError):
        generate_samples(ws, policy, specs_for(policy, 5), Wrapped(gen, error=err), progress=False)
    assert stored(ws) == []


def test_a_generator_that_breaks_before_taking_a_spec_stops_the_run(ws, policy):
    class Dead:
        name, version, model = "dead", "1", ""

        def generate(self, specs, policy):
            raise RuntimeError("CUDA out of memory")
            yield  # pragma: no cover

    with pytest.raises(ExternalError, match="before making any image: RuntimeError: CUDA out"):
        generate_samples(ws, policy, specs_for(policy, 3), Dead(), progress=False)


def test_a_failed_batch_leaves_no_rows_and_no_files(ws, policy, gen, monkeypatch):
    specs = specs_for(policy, 12)
    real, calls = ws.save_samples, []

    def flaky(samples):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(samples)

    monkeypatch.setattr(ws, "save_samples", flaky)
    with pytest.raises(OSError):
        generate_samples(ws, policy, specs, gen, batch_size=5, progress=False)
    samples = stored(ws)
    assert len(samples) == 5
    assert {p.name for p in (ws.root / "files").rglob("*.png")} == {Path(s.image).name for s in samples}


class Replay:
    """Yields prepared images: lets a test plant duplicates and blanks."""

    name, version, model = "replay", "1", ""

    def __init__(self, images):
        self.images = {i.spec.id: i for i in images}

    def generate(self, specs, policy):
        for s in specs:
            yield self.images[s.id]

    def close(self):
        pass


def test_filters_drop_a_planted_duplicate_and_a_blank_image(ws, policy, gen):
    specs = specs_for(policy, 8)
    # spec 5: spec 2 again with another seed (the same content asked for twice)
    specs[5] = GenerationSpec(**{**specs[2].model_dump(exclude={"id"}), "seed": specs[2].seed + 1})
    images = list(gen.generate(specs, policy))
    dup = images[2].png
    shifted = np.asarray(Image.open(io.BytesIO(dup)).convert("RGB")).astype(int)
    # a slightly brighter copy of image 2 with its labels: the same picture twice
    images[5] = GeneratedImage(spec=specs[5], png=png_of(np.clip(shifted + 3, 0, 255)), width=SIZE,
                               height=SIZE, annotations=images[2].annotations)
    images[6] = GeneratedImage(spec=specs[6], png=png_of(np.full((SIZE, SIZE, 3), 128)),
                               width=SIZE, height=SIZE)
    filters = [BlankFilter(), NearDuplicateFilter(max_distance=4)]
    result = generate_samples(ws, policy, specs, Replay(images), filters=filters, progress=False)
    assert result.dropped_by_filter == {"near_duplicate": 1, "blank": 1}
    assert result.generated == 6 and result.dropped == 2
    assert {s.spec_id for s in stored(ws)} == {s.id for s in specs} - {specs[5].id, specs[6].id}


def test_the_procedural_workers_ship_the_stats_the_filters_need(ws, policy, gen):
    result = generate_samples(ws, policy, specs_for(policy, 6), gen, filters=default_filters(),
                              progress=False)
    assert set(gen.stats_keys) == {"phash", "std", "finite"}
    assert result.generated == 6 and result.dropped == 0


def test_verifier_flags_are_stored_and_a_broken_verifier_costs_nothing(ws, policy, gen):
    class Doubt:
        name = "doubt"

        def verify(self, sample, image):
            assert image.startswith(b"\x89PNG")
            return ["no hard hat visible"] if sample.scenario_id == "no_hat" else []

    class Broken:
        name = "broken"

        def verify(self, sample, image):
            raise RuntimeError("endpoint down")

    result = generate_samples(ws, policy, specs_for(policy, 6), gen, verifiers=[Doubt(), Broken()],
                              progress=False)
    flagged = [s for s in stored(ws) if s.flags]
    assert result.generated == 6 and result.flagged == len(flagged) == 2
    assert all(s.scenario_id == "no_hat" and s.flags == ["no hard hat visible"] for s in flagged)


def test_progress_bar_runs(ws, policy, gen, capsys):
    generate_samples(ws, policy, (s for s in specs_for(policy, 4)), gen, progress=True)
    assert "procedural" in capsys.readouterr().err


def test_make_generator_builds_the_named_generator_lazily(monkeypatch):
    g = make_generator(GeneratorConfig(width=64, height=48, workers=1))
    assert isinstance(g, ProceduralGenerator) and (g.width, g.height, g.workers) == (64, 48, 1)
    import types

    made = []
    for module, cls, name in (("diffusion", "DiffusersGenerator", "diffusers"),
                              ("gligen", "GligenGenerator", "gligen")):
        fake = types.ModuleType(f"synthloop.tools.generate.{module}")
        setattr(fake, cls, lambda config, _n=name: made.append((_n, config.model)) or _n)
        monkeypatch.setitem(sys.modules, f"synthloop.tools.generate.{module}", fake)
        assert make_generator(GeneratorConfig(name=name, model="/m")) == name
    assert made == [("diffusers", "/m"), ("gligen", "/m")]
