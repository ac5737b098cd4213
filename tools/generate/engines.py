"""Execution engines: where the configured generator runs.

    local   the generator in this process (the procedural one with its own worker
            processes); today's runner, the default
    ray     a pool of Ray actors, one CPU each for the procedural generator, one GPU each for
            diffusers and GLIGEN, on this machine or a cluster (see ray_engine.py)

Either way the result is a `Generator` that `runner.generate_samples` drives: the runner
alone skips stored specs, filters, and writes the workspace, so an engine changes where the
pixels are made, never which samples come out (same spec hashes, same sample ids, same
labels). Ray is imported only when the `ray` engine is asked for.
"""

from __future__ import annotations

from ..config import GenerationConfig, GeneratorConfig
from .base import Generator
from .runner import make_generator


def make_engine(generator: GeneratorConfig, generation: GenerationConfig | None = None) -> Generator:
    """The generator `generator` names, run by the engine `generation.engine` names.

    gen = make_engine(cfg.generator, cfg.generation)   # cfg = load_config(ws.root)
    result = generate_samples(ws, policy, specs, gen)
    gen.close()                                         # stops the actors (and a local Ray)
    """
    if generation is None or generation.engine == "local":
        return make_generator(generator)
    from .ray_engine import RayGenerator

    return RayGenerator(generator, generation)
