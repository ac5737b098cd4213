"""The built-in demo: one goal and settings sized so the whole loop (drafting with the
embedded LLM, procedural images, CPU training, two targeted iterations) fits in about ten
minutes on a 2-core machine. `synthloop demo` and evals/bench_loop.py share them."""

from __future__ import annotations

from synthloop.tools.config import Config

from .context import RunSettings

DEMO_GOAL = "Workers in the loading bay must wear a hard hat and a hi-vis vest"


def demo_settings(cfg: Config, *, iterations: int = 2) -> RunSettings:
    """Demo sizes: small images and a short schedule, not a production recipe."""
    gen = cfg.generator.model_copy(update={"name": "procedural", "width": 256, "height": 256})
    tr = cfg.training.model_copy(update={"epochs": 15, "imgsz": 160, "batch": 16})
    return RunSettings.from_config(
        cfg, iterations=iterations, initial_images=200, images_per_iteration=100,
        holdout_images=100, val_images=40, total_images=2000, auto_approve=True,
        planner="llm", warm_start_epochs=6, generator=gen, training=tr)
