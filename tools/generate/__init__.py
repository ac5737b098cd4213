"""Image generators and the generation runner.

`runner.generate_samples` drives any `base.Generator`; `runner.make_generator` builds the
configured one: `procedural` (offline default), `diffusers` or `gligen`; `engines.make_engine`
runs it on the configured engine (`local`, or `ray`: an actor pool, see ray_engine.py).
Imports are lazy so that using the procedural generator never loads torch, diffusers or ray.
"""
