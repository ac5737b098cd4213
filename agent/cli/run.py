"""`synthloop run "GOAL"`: the autonomous improvement loop."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from synthloop.tools.config import Planner, load_config, with_overrides
from synthloop.tools.errors import ValidationError

from ..context import RunSettings
from . import loop_view
from .app import NO_CACHE_HELP, STATE, services


class RunPlanner(StrEnum):
    """The planners a person may choose (`oracle` is a benchmark arm: it needs a slice)."""

    llm = Planner.llm.value
    allocator = Planner.allocator.value
    uniform = Planner.uniform.value


def run(
    goal: str = typer.Argument(..., help="The compliance goal, in your words."),
    iterations: int | None = typer.Option(None, help="Targeted iterations after the first."),
    budget: int | None = typer.Option(None, help="Total image budget for the run (every image "
                                      "generated counts, holdout and validation included)."),
    per_iteration: int | None = typer.Option(None, help="Images added per targeted iteration."),
    initial: int | None = typer.Option(None, help="Images in the initial training set."),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Skip the review pause (recorded)."),
    generator: str | None = typer.Option(None, help="procedural | diffusers | gligen"),
    model: str | None = typer.Option(None, help="Diffusers model folder or hub id."),
    eval_set: Path | None = typer.Option(None, help="Folder of real holdout images (YOLO labels)."),
    policy: Path | None = typer.Option(None, help="Use this policy YAML instead of drafting one."),
    example: str | None = typer.Option(None, help="Use a built-in example policy (e.g. ppe)."),
    planner: RunPlanner | None = typer.Option(None, help="Who chooses the targeted data "
                                            "(default: [loop] planner, llm)."),
    epochs: int | None = typer.Option(None, help="Training epochs per iteration."),
    imgsz: int | None = typer.Option(None, help="Training image size."),
    thread: str | None = typer.Option(None, help="Thread id for the run (default: new)."),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
) -> None:
    """Run the autonomous improvement loop for GOAL."""
    from synthloop.tools.design import example_names

    from ..nodes.guardrails import check_budget

    if not goal.strip():
        raise ValidationError("the goal is empty", 'say what must be true, e.g. "workers wear a hard hat"')
    if eval_set is not None and not eval_set.is_dir():
        raise ValidationError(f"eval set {eval_set} is not a folder", "give a folder of images")
    if policy is not None and not policy.is_file():
        raise ValidationError(f"policy file {policy} does not exist", "export one: synthloop policy export")
    if example is not None and example not in example_names():
        raise ValidationError(f"no example policy {example!r}",
                              f"choose one of: {', '.join(example_names())}")
    # everything is checked before the workspace is created: a mistyped -w path stays absent
    root = STATE.workspace if (STATE.workspace / "synthloop.toml").is_file() else None
    options = {
        "loop": {"iterations": iterations, "total_images": budget,
                 "images_per_iteration": per_iteration, "initial_images": initial,
                 "planner": planner.value if planner else None},
        "generator": {"name": generator, "model": model},
        "training": {"epochs": epochs, "imgsz": imgsz},
    }
    cfg = with_overrides(load_config(root), options, "the command line", labels=_OPTION,
                         hint="see: synthloop run --help")
    settings = RunSettings.from_config(
        cfg, auto_approve=auto_approve, eval_set=str(eval_set.resolve()) if eval_set else None,
        policy_file=str(policy.resolve()) if policy else None, example_policy=example)
    check_budget(settings)
    with services(create=True, no_cache=no_cache) as sv:
        loop_view._execute(sv, goal, settings, thread)


_OPTION = {"loop.iterations": "--iterations", "loop.total_images": "--budget",
           "loop.images_per_iteration": "--per-iteration", "loop.initial_images": "--initial",
           "generator.name": "--generator", "generator.model": "--model",
           "training.epochs": "--epochs", "training.imgsz": "--imgsz"}
