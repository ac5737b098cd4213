"""Image generators and the generation runner.

`runner.generate_samples` drives any `base.Generator`; `runner.make_generator` builds the
configured one: `procedural` (offline default), `diffusers` or `gligen`. Imports are lazy so
that using the procedural generator never loads torch or diffusers.
"""
