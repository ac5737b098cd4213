"""The built-in demo: one goal and a preset sized so the whole loop (drafting with the
embedded LLM, procedural images, CPU training, two targeted iterations) fits in minutes on a
2-core machine. `synthloop demo` and evals/bench_loop.py share them.

The preset is an override dict over the workspace's configuration (keys are
tools/config.py's, declared there once), not a copy of the settings schema."""

from __future__ import annotations

from typing import Any

from synthloop.tools.config import Config, with_overrides

from .context import RunSettings

DEMO_GOAL = "Workers in the loading bay must wear a hard hat and a hi-vis vest"

DEMO_PRESET: dict[str, dict[str, Any]] = {
    "loop": {"iterations": 2, "initial_images": 200, "images_per_iteration": 100,
             "holdout_images": 100, "val_images": 40, "total_images": 2000,
             "planner": "llm", "warm_start_epochs": 5},
    "generator": {"name": "procedural", "width": 256, "height": 256},
    "training": {"epochs": 10, "imgsz": 160, "batch": 16},
}
"""Small images and a short schedule: a demonstration, not a production recipe. Chosen by
quality per second on 2 cores (2026-12-02, evals/results/loop.md): 15 + 6 + 6 epochs gave
final mAP50 0.77 and 0.86 in runs of 379 s and 290 s (training 222-242 s); 10 + 5 + 5 gave
0.76 in 228 s (training 177 s)."""


def demo_settings(cfg: Config, *, iterations: int = 2) -> RunSettings:
    preset = {**DEMO_PRESET, "loop": {**DEMO_PRESET["loop"], "iterations": iterations}}
    return RunSettings.from_config(with_overrides(cfg, preset, "the demo preset"),
                                   auto_approve=True)
