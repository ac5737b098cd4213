"""Benchmarks and evaluation suites that print figures (run as `python -m synthloop.evals.<name>`)."""
