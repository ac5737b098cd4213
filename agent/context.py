"""Run settings (typed, with defaults that fall back to the workspace config) and the
runtime context nodes receive (workspace, LLM, console) — the latter is never checkpointed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console

from synthloop.tools.config import Config, GeneratorConfig, TrainingConfig


class RunSettings(BaseModel):
    """Everything that decides what a run does; stored in the run's state so a resumed run
    does exactly what the original would have."""

    iterations: int = Field(default=2, ge=0, description="targeted iterations after the first")
    initial_images: int = Field(default=300, ge=1)
    images_per_iteration: int = Field(default=150, ge=1)
    total_images: int = Field(default=2000, ge=1, description="budget over the whole run")
    holdout_images: int = Field(default=120, ge=1, description="synthetic test holdout")
    val_images: int = Field(default=60, ge=1)
    target_worst_class_recall: float = Field(default=0.95, ge=0, le=1)
    plateau_iterations: int = Field(default=2, ge=1)
    plateau_min_gain: float = Field(default=0.005, ge=0)
    max_synthetic_share: float = Field(default=0.8, gt=0, le=1)
    wall_clock_minutes: float = Field(default=120.0, gt=0)
    floor_fraction: float = Field(default=0.15, ge=0, le=1, description="class floor share")
    min_per_slice: int = Field(default=10, ge=0, description="least images per target")
    explore_fraction: float = Field(default=0.1, ge=0, le=1, description="share of the "
                                    "targeted images kept for candidates outside the plan")
    near_miss_fraction: float = Field(default=0.5, ge=0, le=1, description="share of a "
                                      "target's images that re-use its missed images' variables")
    auto_approve: bool = False
    policy_file: str | None = Field(default=None, description="YAML policy instead of drafting")
    example_policy: str | None = Field(default=None, description="built-in policy name")
    eval_set: str | None = Field(default=None, description="folder of real holdout images")
    planner: str = Field(default="llm", description="llm | allocator | uniform | oracle")
    oracle_slice: str | None = Field(
        default=None, pattern=r"^[a-z0-9_]+=[^=]+$",
        description="'axis=value' that the oracle planner (a benchmark arm) spends everything on")
    seed: int = 0
    warm_start_epochs: int = Field(
        default=0, ge=0, description="iterations after the first fine-tune the previous "
        "iteration's weights for this many epochs instead of training from scratch (0 = off)")
    generator: GeneratorConfig = GeneratorConfig()
    training: TrainingConfig = TrainingConfig()

    @classmethod
    def from_config(cls, cfg: Config, **overrides: Any) -> RunSettings:
        lp = cfg.loop
        base = dict(iterations=lp.iterations, initial_images=lp.initial_images,
                    images_per_iteration=lp.images_per_iteration, total_images=lp.total_images,
                    holdout_images=lp.holdout_images,
                    target_worst_class_recall=lp.target_worst_class_recall,
                    plateau_iterations=lp.plateau_iterations, plateau_min_gain=lp.plateau_min_gain,
                    max_synthetic_share=lp.max_synthetic_share,
                    wall_clock_minutes=lp.wall_clock_minutes,
                    generator=cfg.generator, training=cfg.training)
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(base)


@dataclass
class LoopContext:
    """Handed to every node by LangGraph (never checkpointed)."""

    workspace: Any
    """tools.store.Workspace opened for writing."""
    llm: Any
    """agent.llm.LLM or ScriptedLLM."""
    console: Console = field(default_factory=Console)
    progress: bool = True
    """Show rich progress bars (off in tests)."""
    review_callback: Any = None
    """Unused by the graph itself; the CLI handles interrupts."""
