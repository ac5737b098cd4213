"""Generators that misbehave on purpose inside Ray actors (tests/tools/generate/
test_ray_engine.py). They live here, not in the test module, because Ray's workers and the
test's driver subprocess import them by name."""

from __future__ import annotations

import os
import time
from pathlib import Path

from synthloop.tools.errors import ConfigError, NotFound
from synthloop.tools.generate.procedural import ProceduralGenerator


class Faulty:
    """Builds (inside each actor) a procedural generator that misbehaves on the batch that
    holds spec `poison`: `raise` always raises, `flaky` raises on the first try only, `die`
    kills its worker process on the first try, `slow` sleeps a little per image; any other
    mode (`plain`) behaves. None has `request_stats`: the images come without statistics.
    Every try on the poisoned batch appends a line to `marks`."""

    def __init__(self, mode: str, poison: str = "", marks: str = ""):
        self.mode, self.poison, self.marks = mode, poison, marks

    def __call__(self, config):
        if self.mode == "unbuildable":
            raise NotFound(f"generator.model {config.model!r} does not exist")
        return _FaultyGen(ProceduralGenerator(config.width, config.height, workers=1), self)


class _FaultyGen:
    def __init__(self, inner, plan: Faulty):
        self.inner, self.plan = inner, plan
        self.name, self.version, self.model = inner.name, inner.version, inner.model

    def generate(self, specs, policy):
        specs = list(specs)
        plan = self.plan
        if plan.mode == "always":
            raise RuntimeError("this worker is broken")
        if plan.mode == "config":
            raise ConfigError("generator.model is not a model folder")
        if plan.poison in {s.id for s in specs}:
            with open(plan.marks, "a") as f:
                f.write("try\n")
            tries = len(Path(plan.marks).read_text().splitlines())
            if plan.mode == "raise" or (plan.mode == "flaky" and tries == 1):
                raise RuntimeError("boom on the poisoned batch")
            if plan.mode == "die" and tries == 1:
                os._exit(1)
        for img in self.inner.generate(specs, policy):
            if plan.mode == "slow":
                time.sleep(0.03)
            yield img

    def close(self):
        self.inner.close()
