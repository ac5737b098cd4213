"""Loop efficacy: does targeted data beat the same number of images drawn uniformly?

    .venv/bin/python -m synthloop.evals.loop_efficacy              # full: 3 seeds, 4 arms (~15 min on 2 cores)
    .venv/bin/python -m synthloop.evals.loop_efficacy --quick      # smoke: 1 seed, uniform + allocator
    .venv/bin/python -m synthloop.evals.loop_efficacy --policy my_policy.yaml --oracle-slice lighting=night

It drives the product's loop (agent.runner + the LangGraph graph), not a copy of it. For
each seed, one *base* run does iteration 0 (initial stratified training set, validation
set, the loop's synthetic holdout plus a balanced benchmark holdout, training, report) and
stops. Its workspace is then copied once per arm, the copy's checkpointed state gets the
arm's settings (planner, iterations) and the run resumes at the guardrails node, so every
arm of a seed starts from the very same data, model and holdout, and only the planner
differs. Arms:

    uniform              new specs drawn like the initial set (planner "uniform")
    targeted-allocator   the deterministic error-mass allocator (planner "allocator")
    targeted-llm         the full planner with the configured LLM (embedded by default)
    oracle               every new image in the slice the world makes hardest (planner
                         "oracle"); an upper reference, not a product feature

The balanced holdout: the loop's own holdout is drawn with the policy's weights, so a
rare slice (5 % of images) gets a handful of objects; the benchmark adds a pairwise
holdout (weights ignored, every axis value about equally often) to iteration 0, generated
from a seed never trained on, so every slice is measured on enough objects.

Training schedule (identical across arms): iteration 0 trains from scratch for
`base_epochs`; every later iteration fine-tunes iteration 0's weights for `epochs` on the
whole dataset of that iteration. Training from scratch every iteration (what the loop does
by default) is `--from-scratch`, several times slower on a CPU. Metrics: see
evals/efficacy_metrics.py; results: evals/results/efficacy[_quick].{md,json} and one
plot per metric. The world: tools/design/examples/ppe_world.yaml (evals/README.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from synthloop.tools.config import GeneratorConfig, TrainingConfig
from synthloop.tools.offline import apply_offline_defaults

from .results_io import default_results_folder

ARMS = {"uniform": "uniform", "targeted-allocator": "allocator", "targeted-llm": "llm",
        "oracle": "oracle"}
THREAD = "bench"
RESULTS = default_results_folder()
# The slice each built-in world makes hardest by construction (the oracle's target).
WORLD_HARDEST = {"ppe_world": "lighting=night", "ppe": "lighting=night"}


@dataclass
class EfficacyConfig:
    """Everything that decides a benchmark run; stored in its JSON."""

    example: str | None = "ppe_world"
    policy_file: str | None = None
    arms: tuple[str, ...] = ("uniform", "targeted-allocator", "targeted-llm", "oracle")
    seeds: tuple[int, ...] = (0, 1, 2)
    initial_images: int = 150
    iterations: int = 2
    images_per_iteration: int = 100
    val_images: int = 30
    holdout_images: int = 40          # the loop's own (weighted) synthetic holdout
    balanced_holdout: int = 140       # the benchmark's pairwise supplement
    image_size: int = 160             # procedural render size
    imgsz: int = 128                  # training and evaluation size
    base_epochs: int = 15
    # Ultralytics warms up for min(3, epochs - 1) epochs with a bias learning rate of 0.1,
    # which under AdamW shakes a trained head: a 3-epoch fine-tune ends right after it with
    # its recall at conf 0.25 collapsed (measured); 5 leaves 2 epochs to settle.
    epochs: int = 5
    # Ultralytics accumulates gradients up to a nominal batch of 64, so a smaller batch
    # only adds overhead on the CPU; 16 is the product's default.
    batch: int = 16
    from_scratch: bool = False
    oracle_slice: str | None = None   # None: the world's known hardest slice, if any
    goal: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


FULL = EfficacyConfig()
QUICK = EfficacyConfig(arms=("uniform", "targeted-allocator"), seeds=(0,), initial_images=60,
                       iterations=1, images_per_iteration=40, val_images=16, holdout_images=16,
                       balanced_holdout=48, image_size=128, imgsz=96, base_epochs=3, epochs=1, batch=16)


def run_settings(cfg: EfficacyConfig, seed: int):
    """The base run's RunSettings: iteration 0 only, no early stop in the arms."""
    from synthloop.agent.context import RunSettings

    return RunSettings(
        iterations=0, initial_images=cfg.initial_images,
        images_per_iteration=cfg.images_per_iteration, total_images=10**9,
        holdout_images=cfg.holdout_images, val_images=cfg.val_images,
        target_worst_class_recall=1.0, plateau_iterations=cfg.iterations + 1,
        wall_clock_minutes=10**6, auto_approve=True, planner="uniform", seed=seed,
        policy_file=cfg.policy_file, example_policy=None if cfg.policy_file else cfg.example,
        generator=GeneratorConfig(width=cfg.image_size, height=cfg.image_size),
        training=TrainingConfig(epochs=cfg.base_epochs, imgsz=cfg.imgsz, batch=cfg.batch,
                                seed=seed))


def _context(ws, log_file):
    from rich.console import Console

    from synthloop.agent.context import LoopContext
    from synthloop.agent.llm import get_llm
    from synthloop.tools.config import load_config

    return LoopContext(workspace=ws, llm=get_llm(load_config(ws.root).llm, workspace=ws),
                       console=Console(file=log_file, width=120, force_terminal=False),
                       progress=False)


def run_base(cfg: EfficacyConfig, seed: int, root: Path, log_file) -> dict[str, Any]:
    """Iteration 0 through the real graph, with the balanced holdout added right after
    the specs node (so the generate node makes it with everything else)."""
    from synthloop.agent.planning.to_specs import derive_seed
    from synthloop.agent.runner import start_run
    from synthloop.tools.design import expand_specs
    from synthloop.tools.store import Workspace

    settings = run_settings(cfg, seed)
    seen: dict[str, Any] = {"policy_version": None, "injected": 0}
    with Workspace.init(root) as ws:
        def on_update(node: str, update: dict) -> None:
            if "policy_version" in update:
                seen["policy_version"] = update["policy_version"]
            if node == "specs" and not seen["injected"] and cfg.balanced_holdout > 0:
                policy = ws.get_policy(seen["policy_version"])
                extra = expand_specs(policy, cfg.balanced_holdout, strategy="pairwise",
                                     seed=derive_seed(seed, "benchmark-holdout"), split="test",
                                     origin="benchmark holdout (pairwise)")
                seen["injected"] = ws.save_specs(extra)

        goal = cfg.goal or _policy(cfg).goal
        out = start_run(ws, _context(ws, log_file), goal, settings, thread_id=THREAD,
                        on_update=on_update)
        st = out.state
        run = ws.get_train_run(st["train_run_id"])
        return {"goal": goal, "settings": settings, "weights": run.weights,
                "report_id": st["report_id"], "holdout_added": seen["injected"],
                "test_images": ws.get_dataset(st["dataset_id"]).count("test")}


def arm_settings(cfg: EfficacyConfig, base: dict[str, Any], arm: str, oracle_slice: str | None):
    """The arm's settings: the base run's, with the arm's planner and the iterations."""
    s = base["settings"]
    training = s.training
    if not cfg.from_scratch:
        training = training.model_copy(update={"model": base["weights"], "epochs": cfg.epochs})
    return s.model_copy(update={"iterations": cfg.iterations, "planner": ARMS[arm],
                                "oracle_slice": oracle_slice if arm == "oracle" else None,
                                "training": training})


def run_arm(cfg: EfficacyConfig, base: dict[str, Any], base_root: Path, arm: str, seed: int,
            root: Path, log_file, tracked: list[str], oracle_slice: str | None) -> dict[str, Any]:
    """Copy the base workspace, give its checkpointed state the arm's settings, resume."""
    from synthloop.agent.graph import compile_graph
    from synthloop.agent.runner import checkpointer, resume_run
    from synthloop.tools.store import Workspace

    t0 = time.perf_counter()
    shutil.copytree(base_root, root, ignore=shutil.ignore_patterns(".lock"))
    settings = arm_settings(cfg, base, arm, oracle_slice)
    with Workspace.open(root, write=True) as ws:
        with checkpointer(ws) as saver:
            compile_graph(saver).update_state(
                {"configurable": {"thread_id": THREAD}},
                {"settings": settings.model_dump(mode="json"), "stop_reason": ""},
                as_node="evaluate")
        out = resume_run(ws, _context(ws, log_file), THREAD)
        return collect_run(ws, out.state, arm=arm, seed=seed, tracked=tracked,
                           wall_s=time.perf_counter() - t0)


def collect_run(ws, state: dict[str, Any], *, arm: str, seed: int, tracked: list[str],
                wall_s: float) -> dict[str, Any]:
    """One arm's numbers per iteration, read back from the workspace it ran in."""
    from .efficacy_metrics import count_added, report_metrics

    pv = state["policy_version"]
    loop_its = {i.number: i for i in ws.list_iterations(THREAD)}
    rows = []
    for h in sorted(state.get("history", []), key=lambda r: r["iteration"]):
        n = h["iteration"]
        it = loop_its.get(n)
        new = [sp.variables for sp in ws.iter_specs(policy_version=pv, iteration=n, split="train")] \
            if n else []
        rows.append({
            "iteration": n, "images_added": h.get("images_added", 0) if n else 0,
            "train_images": h.get("train_images"),
            "plan_source": it.plan_source if it and n else "initial",
            "planned_per_slice": dict(it.added_per_slice) if it and n else {},
            "added_per_slice": count_added(new),
            "metrics": report_metrics(ws.get_report(h["report_id"]), tracked)})
    calls = ws.list_llm_calls()
    llm = {"calls": len(calls), "errors": sum(bool(c.error) for c in calls),
           "prompt_tokens": sum(c.prompt_tokens for c in calls),
           "completion_tokens": sum(c.completion_tokens for c in calls),
           "latency_s": round(sum(c.latency_s for c in calls), 1)}
    return {"arm": arm, "seed": seed, "iterations": rows, "llm": llm,
            "stop_reason": state.get("stop_reason", ""), "wall_s": round(wall_s, 1), "error": None}


def _policy(cfg: EfficacyConfig):
    from synthloop.tools.design import load_example_policy, read_policy_yaml

    return read_policy_yaml(cfg.policy_file) if cfg.policy_file else load_example_policy(cfg.example)


def resolve_oracle(cfg: EfficacyConfig, base_report) -> tuple[str | None, str]:
    """The oracle's slice and where it came from: given, the world's known hardest slice,
    or (any other policy) the pooled slice worst at iteration 0 of that seed."""
    from .efficacy_metrics import worst_slice_keys

    if cfg.oracle_slice:
        return cfg.oracle_slice, "given"
    if not cfg.policy_file and cfg.example in WORLD_HARDEST:
        return WORLD_HARDEST[cfg.example], f"hardest by construction in {cfg.example}"
    worst = worst_slice_keys(base_report, 1)
    return (worst[0] if worst else None), "worst pooled slice at iteration 0 (hindsight)"


def run_benchmark(cfg: EfficacyConfig, *, work: Path | None = None, keep: bool = False,
                  show: bool = True) -> dict[str, Any]:
    """Run every seed and arm; returns the result dict that `write_results` saves."""
    apply_offline_defaults()
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from synthloop.agent.llm import stop_embedded
    from synthloop.tools.errors import ValidationError
    from synthloop.tools.offline import use_workspace_config_dir
    from synthloop.tools.store import Workspace

    from .efficacy_metrics import METRICS, aggregate, headline_ratio, worst_slice_keys

    unknown = [a for a in cfg.arms if a not in ARMS]
    if unknown:
        raise ValidationError(f"unknown arm(s) {', '.join(unknown)}", f"choose from {', '.join(ARMS)}")
    if cfg.policy_file and not Path(cfg.policy_file).is_file():
        raise ValidationError(f"policy file {cfg.policy_file} does not exist", "give a policy YAML")
    _policy(cfg)  # fails early on a bad policy name or file
    tmp = None
    if work is None:
        tmp = tempfile.mkdtemp(prefix="synthloop-efficacy-")
        work = Path(tmp)
    work.mkdir(parents=True, exist_ok=True)
    # Ultralytics reads its settings folder once per process: one folder for all runs.
    use_workspace_config_dir(work)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    runs: list[dict[str, Any]] = []
    bases: list[dict[str, Any]] = []
    total = len(cfg.seeds) * (1 + len(cfg.arms))
    with open(work / "loop.log", "a", encoding="utf-8") as log_file, Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} runs"),
            TimeElapsedColumn(), TimeRemainingColumn(), disable=not show) as bar:
        task = bar.add_task("loop efficacy", total=total)
        for seed in cfg.seeds:
            shutil.rmtree(work / f"seed{seed}", ignore_errors=True)  # a rerun starts clean
            base_root = work / f"seed{seed}" / "base"
            bar.update(task, description=f"seed {seed}: iteration 0")
            base = run_base(cfg, seed, base_root, log_file)
            bar.advance(task)
            with Workspace.open(base_root) as ws:
                base_report = ws.get_report(base["report_id"])
            tracked = worst_slice_keys(base_report, 3)
            oracle, oracle_from = resolve_oracle(cfg, base_report)
            bases.append({"seed": seed, "holdout_added": base["holdout_added"],
                          "test_images": base["test_images"], "tracked_slices": tracked,
                          "oracle_slice": oracle, "oracle_from": oracle_from})
            for arm in cfg.arms:
                bar.update(task, description=f"seed {seed}: {arm}")
                if arm == "oracle" and oracle is None:
                    runs.append({"arm": arm, "seed": seed, "iterations": [],
                                 "error": "no oracle slice (give --oracle-slice)"})
                else:
                    runs.append(_safe_arm(cfg, base, base_root, arm, seed,
                                          work / f"seed{seed}" / arm, log_file, tracked, oracle))
                bar.advance(task)
                if show and runs[-1].get("error"):
                    bar.console.print(f"[red]{arm} seed {seed} failed:[/] {runs[-1]['error']}")
    stop_embedded()
    result = {
        "benchmark": "loop_efficacy", "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "config": asdict(cfg), "bases": bases, "runs": runs,
        "summary": aggregate(runs),
        "headline": {a: headline_ratio(runs, a) for a in cfg.arms if a != "uniform"},
        "headline_by_metric": {m: {a: headline_ratio(runs, a, metric=m) for a in cfg.arms
                                   if a != "uniform"} for m in METRICS},
        "machine": {"cpus": os.cpu_count(), "load_1m_start": round(load0, 2),
                    "load_1m_end": round(os.getloadavg()[0], 2), "python": platform.python_version(),
                    "platform": platform.platform()},
        "wall_s": round(time.perf_counter() - t0, 1), "work": str(work) if keep else None,
    }
    if tmp is not None and not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _safe_arm(cfg, base, base_root, arm, seed, root, log_file, tracked, oracle) -> dict[str, Any]:
    """One arm; a failure is recorded (with its message) so the other arms still count."""
    try:
        return run_arm(cfg, base, base_root, arm, seed, root, log_file, tracked, oracle)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # the benchmark reports a broken arm instead of losing the rest
        log_file.write(f"arm {arm} seed {seed} failed: {type(e).__name__}: {e}\n")
        return {"arm": arm, "seed": seed, "iterations": [], "error": f"{type(e).__name__}: {e}"}


def preset(quick: bool = False, *, policy: str | None = None, seeds: int | None = None,
           arms: list[str] | None = None, **over: Any) -> EfficacyConfig:
    """The quick or full preset with overrides; None means "keep the preset's value".
    `policy` (a YAML path) replaces the built-in world; `seeds` N means seeds 0..N-1."""
    changes = {k: v for k, v in over.items() if v is not None}
    if policy:
        changes.update(policy_file=str(Path(policy).resolve()), example=None)
    if arms:
        changes["arms"] = tuple(arms)
    if seeds:
        changes["seeds"] = tuple(range(seeds))
    return replace(QUICK if quick else FULL, **changes)


def config_from_args(args: argparse.Namespace) -> EfficacyConfig:
    """The preset (quick or full) with the command line's overrides."""
    return preset(args.quick, policy=args.policy, seeds=args.seeds, arms=args.arms,
                  example=None if args.policy else args.example,
                  from_scratch=args.from_scratch or None,
                  **{name: getattr(args, name) for name in (
                      "iterations", "images_per_iteration", "initial_images", "epochs",
                      "base_epochs", "imgsz", "oracle_slice")})


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The benchmark's options (shared with evals.run_all)."""
    ap.add_argument("--quick", action="store_true", help="~1-minute smoke run (1 seed, 2 arms)")
    ap.add_argument("--policy", help="policy YAML to benchmark instead of the built-in world")
    ap.add_argument("--example", help="built-in policy name (default ppe_world)")
    ap.add_argument("--arms", nargs="+", choices=list(ARMS))
    ap.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    ap.add_argument("--iterations", type=int)
    ap.add_argument("--images-per-iteration", dest="images_per_iteration", type=int)
    ap.add_argument("--initial-images", dest="initial_images", type=int)
    ap.add_argument("--epochs", type=int, help="epochs of each targeted iteration")
    ap.add_argument("--base-epochs", dest="base_epochs", type=int, help="epochs of iteration 0")
    ap.add_argument("--imgsz", type=int)
    ap.add_argument("--oracle-slice", dest="oracle_slice", help="axis=value for the oracle arm")
    ap.add_argument("--from-scratch", action="store_true", help="train every iteration from scratch")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    ap.add_argument("--work", type=Path, help="keep the workspaces here (default: a temp folder)")


def main(argv: list[str] | None = None) -> int:
    from .efficacy_report import print_summary, write_results

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    cfg = config_from_args(args)
    result = run_benchmark(cfg, work=args.work, keep=args.work is not None)
    paths = write_results(result, args.out, "efficacy_quick" if args.quick else "efficacy")
    print_summary(result, paths)
    return 0 if all(not r.get("error") for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
