"""The Ray engine on a local Ray (started once for this file, 2 CPUs): same samples as the
local engine, batches, resume after kill -9 of the driver, workers that raise or die, an
unreachable address."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from synthloop.agent.cli.app import run
from synthloop.tools.config import GenerationConfig, GeneratorConfig
from synthloop.tools.design import load_example_policy
from synthloop.tools.design.expand import expand_specs
from synthloop.tools.errors import ConfigError, ExternalError, NotFound
from synthloop.tools.generate.engines import make_engine
from synthloop.tools.generate.procedural.examples import ppe_policy, ppe_specs
from synthloop.tools.generate.runner import generate_samples
from synthloop.tools.store import Workspace
from tests.support.paths import ROOT
from tests.support.ray_faults import Faulty

ray = pytest.importorskip("ray")

SIZE = 64
GEN = GeneratorConfig(width=SIZE, height=SIZE, workers=1)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the whole file; its workers import tests.support.ray_faults
    (PYTHONPATH)."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), old) if p)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1", logging_level="WARNING",
             _system_config={"worker_niceness": 0})
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def ray_cfg(**kw) -> GenerationConfig:
    return GenerationConfig(**{"engine": "ray", "ray_workers": 2, "ray_batch_size": 8, **kw})


def summary(ws) -> list[tuple]:
    """What must not depend on the engine: ids, labels, boxes and the image bytes' hash."""
    return sorted((s.id, s.spec_id, s.label, s.image, s.split, s.variables.get("lighting"),
                   tuple((a.cls, a.box) for a in s.annotations)) for s in ws.iter_samples())


def test_the_same_samples_as_the_local_engine_in_batches(tmp_path):
    """Detection (boxes) and classification (labels), one pool for both policies: same
    sample ids, spec hashes, labels, boxes and PNG bytes as the local engine; the specs
    went out in batches of 8, to both workers."""
    pool = make_engine(GEN, ray_cfg())
    try:
        for name, policy in (("ppe", ppe_policy()), ("spill", load_example_policy("floor_spill"))):
            got = {}
            for engine in ("local", "ray"):
                with Workspace.init(tmp_path / f"{name}-{engine}") as ws:
                    p = ws.save_policy(policy)
                    specs = list(expand_specs(p, 30, seed=1))
                    gen = pool if engine == "ray" else make_engine(GEN, GenerationConfig())
                    r = generate_samples(ws, p, specs, gen, batch_size=16, progress=False)
                    assert r.generated == 30 and not r.failed
                    got[engine] = summary(ws)
            assert got["local"] == got["ray"], name
        assert pool.batches == 8 and set(pool.per_worker) == {0, 1}
        labels = {row[2] for row in got["ray"]}  # the floor_spill run: classification
        assert None not in labels and len(labels) >= 2, labels
    finally:
        pool.close()


def test_workers_ship_the_filters_statistics_the_driver_would_compute(tmp_path, monkeypatch):
    """With the default filters each image comes back with the statistics they read, equal
    to those of its decoded PNG: measured from the pixels by the procedural generator, or
    from the PNG by the worker for a generator that measures nothing (`plain`: no
    request_stats). The driver decodes no PNG, and keeps and drops exactly what the local
    engine does."""
    from synthloop.tools.generate.ray_engine import RayGenerator
    from synthloop.tools.quality import default_filters
    from synthloop.tools.quality import stats as quality_stats

    needs = frozenset().union(*(f.needs for f in default_filters()))
    real_decode = quality_stats.decode_png
    decoded = []
    monkeypatch.setattr(quality_stats, "decode_png",
                        lambda data: decoded.append(1) or real_decode(data))

    def stored(engine: str, gen) -> tuple:
        with Workspace.init(tmp_path / engine) as ws:
            p = ws.save_policy(ppe_policy())
            r = generate_samples(ws, p, list(expand_specs(p, 30, seed=1)), gen, batch_size=16,
                                 progress=False, filters=default_filters())
            return summary(ws), r.dropped_by_filter

    local = stored("local", make_engine(GEN, GenerationConfig()))
    assert len(local[0]) + sum(local[1].values()) == 30
    with Workspace.init(tmp_path / "direct") as ws:
        p = ws.save_policy(ppe_policy())
        specs = list(expand_specs(p, 24, seed=2))
    for name, factory in (("ray", None), ("ray-plain", Faulty("plain"))):
        pool = RayGenerator(GEN, ray_cfg(), factory=factory)  # one pool at a time: 2 CPUs
        try:
            pool.request_stats(needs)
            images = list(pool.generate(specs, p))
            assert sorted(i.spec.id for i in images) == sorted(s.id for s in specs), name
            for img in images:
                assert needs <= set(img.stats), (name, img.stats)
                assert img.stats == quality_stats.image_stats(real_decode(img.png), needs), name
            assert stored(name, pool) == local, name
        finally:
            pool.close()
    assert decoded == []  # no engine decoded a PNG on the driver to filter it


def test_an_image_travels_without_the_spec_the_driver_sent():
    from synthloop.tools.generate.base import GeneratedImage
    from synthloop.tools.generate.ray_engine import _pack, _unpack

    spec = ppe_specs(1, policy=ppe_policy())[0]
    img = GeneratedImage(spec=spec.model_copy(), png=b"png", width=4, height=3, label="x",
                         stats={"std": 1.5})
    packed = _pack(img, {spec.id})
    assert packed[1] is None
    back = _unpack(packed, {spec.id: spec})
    assert back == img and back.spec is spec  # the driver's own spec object
    unasked = _unpack(_pack(img, set()), {})  # a spec the driver did not send travels
    assert unasked == img


def test_generate_cli_with_the_ray_engine(tmp_path, monkeypatch, capsys):
    """`synthloop generate --n N` with generation.engine = "ray": N samples, the same as the
    local engine's (`--engine local` over the same setting)."""
    for key, value in {"WORKERS": "1", "WIDTH": str(SIZE), "HEIGHT": str(SIZE)}.items():
        monkeypatch.setenv(f"SYNTHLOOP_GENERATOR__{key}", value)
    monkeypatch.setenv("SYNTHLOOP_GENERATION__ENGINE", "ray")
    monkeypatch.setenv("SYNTHLOOP_GENERATION__RAY_WORKERS", "2")
    got = {}
    for engine in ("local", "ray"):
        path = tmp_path / engine
        with Workspace.init(path) as ws:
            ws.save_policy(load_example_policy("ppe"))
        args = [] if engine == "ray" else ["--engine", "local"]  # --engine beats the setting
        assert run(["-w", str(path), "generate", "--n", "20", "--auto-approve", *args]) == 0
        out = capsys.readouterr().out
        assert ("on Ray, 2 workers" in out) == (engine == "ray"), out
        with Workspace.open(path) as ws:
            got[engine] = summary(ws)
    assert len(got["ray"]) == 20 and got["ray"] == got["local"]


def test_a_driver_killed_mid_run_resumes_to_exactly_n_unique_samples(tmp_path, local_ray):
    """kill -9 of a driver (another process, joined to this file's Ray by its address)
    after some batches are stored; a rerun ends with exactly N samples, none twice."""
    n = 160
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.save_policy(ppe_policy())
    script = textwrap.dedent(f"""
        from synthloop.tools.config import GenerationConfig, GeneratorConfig
        from synthloop.tools.generate.procedural.examples import ppe_specs
        from synthloop.tools.generate.ray_engine import RayGenerator
        from synthloop.tools.generate.runner import generate_samples
        from synthloop.tools.store import Workspace
        from tests.support.ray_faults import Faulty

        if __name__ == "__main__":
            ws = Workspace.open({str(path)!r}, write=True)
            policy = ws.get_policy()
            gen = RayGenerator(GeneratorConfig(width={SIZE}, height={SIZE}),
                               GenerationConfig(engine="ray", ray_address={local_ray!r},
                                                ray_workers=2, ray_batch_size=8),
                               factory=Faulty("slow"))
            generate_samples(ws, policy, ppe_specs({n}, policy=policy), gen, batch_size=8,
                             progress=False)
    """)
    (tmp_path / "driver.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "driver.py")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 90
        stored = 0
        while time.time() < deadline and proc.poll() is None:
            with Workspace.open(path) as reader:
                stored = reader.counts()["samples"]
            if stored >= 24:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    with Workspace.open(path) as reader:
        before = reader.counts()["samples"]
    assert 24 <= before < n
    with Workspace.open(path, write=True) as ws:
        policy = ws.get_policy()
        gen = make_engine(GEN, ray_cfg())
        try:
            r = generate_samples(ws, policy, ppe_specs(n, policy=policy), gen, progress=False)
        finally:
            gen.close()
        samples = list(ws.iter_samples())
    assert r.skipped_existing == before and r.generated == n - before
    assert len(samples) == n and len({s.spec_id for s in samples}) == n
    assert len({s.image for s in samples}) == n
    files = [p for p in (path / "files").rglob("*") if p.is_file()]
    assert len(files) == n


def _faulty_run(tmp_path, mode: str, n: int = 32, **cfg):
    with Workspace.init(tmp_path / "ws") as ws:
        policy = ws.save_policy(ppe_policy())
        specs = ppe_specs(n, policy=policy)
        marks = tmp_path / "marks"
        from synthloop.tools.generate.ray_engine import RayGenerator

        gen = RayGenerator(GEN, ray_cfg(**cfg), factory=Faulty(mode, specs[3].id, str(marks)))
        try:
            r = generate_samples(ws, policy, specs, gen, progress=False)
        finally:
            gen.close()
        tries = len(marks.read_text().splitlines()) if marks.exists() else 0
        return r, gen, tries, specs, len(list(ws.iter_samples()))


def test_a_batch_whose_worker_raises_is_retried_then_reported(tmp_path):
    r, gen, tries, specs, stored = _faulty_run(tmp_path, "raise", ray_max_retries=2)
    assert tries == 3 and gen.retries == 2  # the first try and two more, no more
    assert {sid for sid, _ in r.failed} == {s.id for s in specs[:8]}  # its batch, reported
    assert all("boom on the poisoned batch" in why and "3 times" in why for _, why in r.failed)
    assert r.generated == stored == 24


def test_a_flaky_batch_and_a_dead_worker_lose_nothing(tmp_path):
    r, gen, tries, _, stored = _faulty_run(tmp_path / "flaky", "flaky", ray_workers=1)
    assert (tries, gen.retries, r.generated, stored, r.failed) == (2, 1, 32, 32, [])
    r, gen, tries, _, stored = _faulty_run(tmp_path / "die", "die", ray_workers=1)
    assert (tries, gen.replaced, r.generated, stored, r.failed) == (2, 1, 32, 32, [])


def test_workers_failing_batch_after_batch_stop_the_run(tmp_path):
    with pytest.raises(ExternalError, match="3 batches in a row.*this worker is broken"):
        _faulty_run(tmp_path, "always", n=64, ray_max_retries=0, ray_workers=1)


def test_a_setting_error_on_a_worker_stops_at_once_with_its_own_error(tmp_path):
    """A SynthloopError is never retried: building fails (NotFound) or a batch fails
    (ConfigError), the driver raises that error, one line, as the local engine would."""
    from synthloop.tools.generate.ray_engine import RayGenerator

    with pytest.raises(NotFound, match="generator.model '/no/such' does not exist"):
        RayGenerator(GEN.model_copy(update={"model": "/no/such"}), ray_cfg(ray_workers=1),
                     factory=Faulty("unbuildable"))
    with pytest.raises(ConfigError, match="not a model folder"):
        _faulty_run(tmp_path, "config", ray_workers=1)


def test_more_workers_than_the_cluster_holds_are_refused_at_once():
    from synthloop.tools.generate.ray_engine import RayGenerator

    with pytest.raises(ConfigError, match="has 2 CPUs: 3 workers need 3 CPUs"):
        RayGenerator(GEN, ray_cfg(ray_workers=3))
    with pytest.raises(ConfigError, match="has 0 GPUs: the gligen generator needs a GPU"):
        RayGenerator(GeneratorConfig(name="gligen", model="/models/gligen"), ray_cfg(ray_workers=0))


def test_an_unreachable_address_is_one_clear_line_and_exit_2(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        ws.save_policy(load_example_policy("ppe"))
    env = {**os.environ, "SYNTHLOOP_GENERATION__ENGINE": "ray",
           "SYNTHLOOP_GENERATION__RAY_ADDRESS": "ray://127.0.0.1:1", "PYTHONPATH": str(ROOT)}
    code = ("import sys; from synthloop.agent.cli import main; "
            "main(['-w', sys.argv[1], 'generate', '--n', '4', '--auto-approve'])")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws")], env=env,
                       capture_output=True, text=True, timeout=60)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 2, p.stderr
    assert len(lines) == 1, p.stderr
    assert "cannot reach the Ray cluster at ray://127.0.0.1:1" in lines[0]
    assert "generation.ray_address" in lines[0]  # the hint names the setting
    assert time.perf_counter() - t0 < 30  # not Ray Client's own 30 s wait
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.counts()["specs"] == 0  # refused before anything was stored


def test_importing_synthloop_does_not_import_ray():
    code = ("import sys, synthloop.tools.generate.engines, synthloop.tools.generate.ray_engine, "
            "synthloop.agent.cli.generate; print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
