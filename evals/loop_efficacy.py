"""Loop efficacy: does targeted data beat the same number of images drawn uniformly?

    .venv/bin/python -m synthloop.evals.loop_efficacy            # both built-in worlds, 5 seeds, 3 arms
    .venv/bin/python -m synthloop.evals.loop_efficacy --quick    # smoke: 1 seed, uniform + allocator
    .venv/bin/python -m synthloop.evals.loop_efficacy --world ppe_rare --seeds 2
    .venv/bin/python -m synthloop.evals.loop_efficacy --world my_world.yaml
    .venv/bin/python -m synthloop.evals.loop_efficacy --policy my_policy.yaml   # any policy

Worlds (evals/worlds/*.yaml, read by efficacy_worlds.py): a policy whose weak slices are
rare appearance conditions, a declared pixel-limited control slice, and the benchmark
settings that make iteration 0 competent on common conditions. Built in: `ppe_rare`
(detection) and `helmet_cls` (classification). A plain policy file is a world without a
control (the tracked and worst slices are then taken over every slice).

It drives the product's loop (agent.runner + the LangGraph graph), not a copy of it. Per
world and seed, one *base* run does iteration 0 (initial stratified training set,
validation set, the loop's weighted holdout, plus the benchmark's holdouts, training,
report) and stops. Its workspace is copied once per arm, the copy's checkpointed state gets
the arm's settings (planner, iterations, fine-tune schedule) and the run resumes at the
guardrails node, so every arm of a seed starts from the very same data, model and holdout,
and only the planner differs. Arms:

    uniform              new specs drawn like the initial set (planner "uniform")
    targeted-allocator   the deterministic allocator (planner "allocator")
    targeted-llm         the full planner with the configured LLM (embedded by default)
    oracle               (optional) every new image in the world's oracle slice

Holdout (the same for every arm of a seed): the loop's own holdout, drawn with the policy's
weights (common conditions); a balanced pairwise supplement over scenario x axes (weights
ignored) that leaves the control value out (pairwise over the control axis' other values);
and a small control holdout with the control value fixed. Metrics: efficacy_metrics.py.

Training schedule (identical across arms): iteration 0 trains from scratch for
`base_epochs`; every later iteration fine-tunes iteration 0's weights for `epochs` on that
iteration's whole dataset, with `lr0`, `warmup_epochs` (0: Ultralytics' bias warm-up at lr
0.1 shakes a trained head) and `nominal_batch` (Ultralytics' nbs; = batch gives 4x more
optimizer steps on a small CPU dataset than the default 64). `--from-scratch` retrains from
scratch each iteration instead. Results: evals/results/efficacy[_quick].{md,json} and one
plot per metric per world.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from synthloop.agent.state import history_rows
from synthloop.tools.config import Config, Planner, with_overrides
from synthloop.tools.offline import apply_offline_defaults

from .control_flag import THREAD, control_flag, flagged_in
from .efficacy_worlds import (
    BENCHMARK_FIELDS,
    BUILTIN_WORLDS,
    World,
    check_slice,
    load_world,
    world_from_example,
    world_from_policy_file,
)
from .results_io import default_results_folder

ARMS = {"uniform": Planner.uniform, "targeted-allocator": Planner.allocator,
        "targeted-llm": Planner.llm, "oracle": Planner.oracle}
DEFAULT_ARMS = ("uniform", "targeted-allocator", "targeted-llm")
RESULTS = default_results_folder()
# Spec origins of the holdout's three parts (the loop's own one is the loop's name).
LOOP_HOLDOUT = "synthetic holdout"
BALANCED_HOLDOUT = "benchmark holdout (pairwise)"
CONTROL_HOLDOUT = "benchmark control holdout"


@dataclass
class EfficacyConfig:
    """One world's resolved settings (generic defaults < the world file's `benchmark:` <
    the quick sizes < the command line); stored in the result JSON."""

    world: str = "policy"
    source: str = ""
    task: str = "detection"
    control_slice: str | None = None
    oracle_slice: str | None = None
    arms: tuple[str, ...] = DEFAULT_ARMS
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    initial_images: int = 300
    iterations: int = 2
    images_per_iteration: int = 100
    val_images: int = 30
    holdout_images: int = 60          # the loop's own (weighted) synthetic holdout
    balanced_holdout: int = 140       # the benchmark's pairwise supplement (control left out)
    control_holdout: int = 40         # the control value fixed (only with a control slice)
    image_size: int = 96              # procedural render size
    imgsz: int = 96                   # training and evaluation size (= render size)
    base_epochs: int = 12             # iteration 0, from scratch
    epochs: int = 3                   # each fine-tune
    batch: int = 16
    nominal_batch: int = 16           # Ultralytics nbs, iteration 0 and fine-tunes
    lr0: float = 0.001                # fine-tunes
    warmup_epochs: float = 0.0        # fine-tunes
    base_lr0: float | None = None     # iteration 0; None: the product's default
    base_warmup_epochs: float | None = None
    from_scratch: bool = False
    goal: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class BenchmarkConfig:
    """What to run: worlds (built-in names or world files), optionally a plain policy
    file or a built-in example policy, the arms, the seeds and overrides on every world."""

    worlds: tuple[str, ...] = BUILTIN_WORLDS
    policy_file: str | None = None
    example: str | None = None
    quick: bool = False
    arms: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


QUICK_SIZES: dict[str, Any] = dict(
    arms=("uniform", "targeted-allocator"), seeds=(0,), initial_images=60, iterations=1,
    images_per_iteration=40, val_images=16, holdout_images=16, balanced_holdout=48,
    control_holdout=24, base_epochs=3, epochs=1)
_CONFIG_FIELDS = {f.name for f in fields(EfficacyConfig)}
assert set(BENCHMARK_FIELDS) <= _CONFIG_FIELDS


def preset(quick: bool = False, *, policy: str | None = None, example: str | None = None,
           worlds: list[str] | tuple[str, ...] | None = None, seeds: int | None = None,
           arms: list[str] | None = None, **over: Any) -> BenchmarkConfig:
    """The full or quick benchmark with overrides; None means "keep". `policy` (a YAML
    path) or `example` (a world or example-policy name) replaces the built-in worlds unless
    `worlds` are given too; `seeds` N means seeds 0..N-1; the rest are EfficacyConfig fields
    applied to every world."""
    changes = {k: v for k, v in over.items() if v is not None}
    unknown = sorted(set(changes) - _CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"unknown benchmark setting(s): {', '.join(unknown)}")
    chosen = tuple(worlds) if worlds else (() if policy or example else BUILTIN_WORLDS)
    return BenchmarkConfig(
        worlds=chosen, policy_file=str(Path(policy).resolve()) if policy else None,
        example=example if not policy else None, quick=quick,
        arms=tuple(arms) if arms else None, seeds=tuple(range(seeds)) if seeds else None,
        overrides=changes)


def resolve(bench: BenchmarkConfig) -> list[tuple[World, EfficacyConfig]]:
    """Every world to run, with its resolved settings; bad worlds, arms or slices fail
    here, before anything runs."""
    from synthloop.tools.errors import ValidationError

    worlds = [load_world(w) for w in bench.worlds]
    if bench.policy_file:
        worlds.append(world_from_policy_file(bench.policy_file))
    if bench.example:
        worlds.append(world_from_example(bench.example))
    if not worlds:
        raise ValidationError("no world to benchmark", "name one with --world, or give --policy FILE")
    names = [w.name for w in worlds]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(f"world(s) {', '.join(dupes)} given twice", "name each world once")
    out = []
    for w in worlds:
        values: dict[str, Any] = dict(w.benchmark)
        if bench.quick:
            values.update(QUICK_SIZES)
        values.update(bench.overrides)
        if bench.arms:
            values["arms"] = bench.arms
        if bench.seeds:
            values["seeds"] = bench.seeds
        oracle = values.pop("oracle_slice", None) or w.oracle_slice
        oracle = check_slice(w.policy, oracle, "oracle slice", w.name)
        cfg = replace(EfficacyConfig(), **values, world=w.name, source=w.source, task=w.task,
                      control_slice=w.control_slice, oracle_slice=oracle)
        unknown = [a for a in cfg.arms if a not in ARMS]
        if unknown:
            raise ValidationError(f"unknown arm(s) {', '.join(unknown)}", f"choose from {', '.join(ARMS)}")
        if "uniform" not in cfg.arms:
            raise ValidationError("the uniform arm is the baseline every comparison needs",
                                  "keep 'uniform' among --arms")
        out.append((w, cfg))
    return out


def run_settings(cfg: EfficacyConfig, seed: int, world: World, policy_path: Path | None):
    """The base run's RunSettings: iteration 0 only, no early stop in the arms. An override
    dict over the product's defaults (keys declared once, in tools/config.py)."""
    from synthloop.agent.context import RunSettings

    training: dict[str, Any] = dict(epochs=cfg.base_epochs, imgsz=cfg.imgsz, batch=cfg.batch,
                                    nominal_batch=cfg.nominal_batch, seed=seed,
                                    lr0=cfg.base_lr0, warmup_epochs=cfg.base_warmup_epochs)
    preset = {
        "loop": dict(iterations=0, initial_images=cfg.initial_images,
                     images_per_iteration=cfg.images_per_iteration, total_images=10**9,
                     holdout_images=cfg.holdout_images, val_images=cfg.val_images,
                     target_worst_class_recall=1.0, plateau_iterations=cfg.iterations + 1,
                     wall_clock_minutes=10**6, planner=Planner.uniform, seed=seed),
        "generator": dict(width=cfg.image_size, height=cfg.image_size),
        "training": training,
        # the benchmark's images are labelled correctly by construction (no planted faults):
        # a quarantine would only take images out of one arm and not the other
        "verify": dict(loop=False),
    }
    return RunSettings.from_config(
        with_overrides(Config(), preset, "the efficacy benchmark"), auto_approve=True,
        policy_file=str(policy_path) if policy_path else world.policy_file,
        example_policy=None if policy_path or world.policy_file else world.example)


def holdout_specs(policy, cfg: EfficacyConfig, seed: int) -> list:
    """The benchmark's holdout supplements for one seed: pairwise over scenario x axes with
    the control value left out (so no slice is crossed with the pixel-limited control),
    and, with a control slice, the control holdout (control value fixed, pairwise over the
    rest). Seeds never trained on."""
    from synthloop.agent.planning.to_specs import derive_seed
    from synthloop.tools.design import expand_specs

    out: list = []
    control = cfg.control_slice.partition("=")[::2] if cfg.control_slice else None
    balanced = policy
    if control:
        axes = [a.model_copy(update={"values": [v for v in a.values if v.value != control[1]]})
                if a.name == control[0] else a for a in policy.axes]
        balanced = policy.model_copy(update={"axes": axes})
    if cfg.balanced_holdout > 0:
        out += expand_specs(balanced, cfg.balanced_holdout, strategy="pairwise",
                            seed=derive_seed(seed, "benchmark-holdout"), split="test",
                            origin=BALANCED_HOLDOUT)
    if control and cfg.control_holdout > 0:
        out += expand_specs(policy, cfg.control_holdout, strategy="pairwise",
                            fixed={control[0]: control[1]},
                            seed=derive_seed(seed, "benchmark-control-holdout"), split="test",
                            origin=CONTROL_HOLDOUT)
    return out


def _context(sv, log_file):
    from rich.console import Console

    return sv.loop_context(console=Console(file=log_file, width=120, force_terminal=False),
                           progress=False)


def holdout_parts(ws, dataset_id: str) -> dict[str, str]:
    """{sample id: 'loop' | 'balanced' | 'control'} for the test split, by spec origin."""
    origin = {s.id: s.origin for s in ws.iter_specs(split="test")}
    part = {LOOP_HOLDOUT: "loop", BALANCED_HOLDOUT: "balanced", CONTROL_HOLDOUT: "control"}
    ids = ws.get_dataset(dataset_id).splits.get("test", [])
    return {s.id: part.get(origin.get(s.spec_id or "", ""), "other") for s in ws.get_samples(ids)}


def run_base(cfg: EfficacyConfig, world: World, seed: int, root: Path, log_file,
             policy_path: Path | None) -> dict[str, Any]:
    """Iteration 0 through the real graph, with the benchmark's holdouts added right after
    the specs node (so the generate node makes them with everything else)."""
    from collections import Counter

    from synthloop.agent.runner import start_run
    from synthloop.agent.services import open_services

    settings = run_settings(cfg, seed, world, policy_path)
    seen: dict[str, Any] = {"policy_version": None, "injected": 0}
    with open_services(root, create=True) as sv:
        ws = sv.workspace

        def on_update(node: str, update: dict) -> None:
            if "policy_version" in update:
                seen["policy_version"] = update["policy_version"]
            if node == "specs" and not seen["injected"]:
                extra = holdout_specs(ws.get_policy(seen["policy_version"]), cfg, seed)
                seen["injected"] = ws.save_specs(extra) if extra else -1

        goal = cfg.goal or world.policy.goal or world.policy.title
        out = start_run(ws, _context(sv, log_file), goal, settings, thread_id=THREAD,
                        on_update=on_update)
        st = out.state
        run = ws.get_train_run(st["train_run_id"])
        parts = holdout_parts(ws, st["dataset_id"])
        return {"goal": goal, "settings": settings, "weights": run.weights,
                "report_id": st["report_id"], "holdout_added": max(seen["injected"], 0),
                "parts": parts, "holdout": dict(Counter(parts.values())),
                "test_images": len(parts)}


def arm_settings(cfg: EfficacyConfig, base: dict[str, Any], arm: str):
    """The arm's settings: the base run's, with the arm's planner, the iterations and the
    fine-tune schedule."""
    s = base["settings"]
    training = s.training
    if not cfg.from_scratch:
        training = training.model_copy(update={
            "model": base["weights"], "epochs": cfg.epochs, "lr0": cfg.lr0,
            "warmup_epochs": cfg.warmup_epochs, "nominal_batch": cfg.nominal_batch})
    return s.model_copy(update={"iterations": cfg.iterations, "planner": ARMS[arm],
                                "oracle_slice": cfg.oracle_slice if arm == "oracle" else None,
                                "training": training})


def run_arm(cfg: EfficacyConfig, base: dict[str, Any], base_root: Path, arm: str, seed: int,
            root: Path, log_file, tracked: list[str]) -> dict[str, Any]:
    """Copy the base workspace, give its checkpointed state the arm's settings, resume."""
    from synthloop.agent.graph import compile_graph
    from synthloop.agent.runner import checkpointer, resume_run
    from synthloop.agent.services import open_services

    t0 = time.perf_counter()
    shutil.copytree(base_root, root, ignore=shutil.ignore_patterns(".lock"))
    settings = arm_settings(cfg, base, arm)
    with open_services(root, write=True) as sv:
        ws = sv.workspace
        with checkpointer(ws) as saver:
            compile_graph(saver).update_state(
                {"configurable": {"thread_id": THREAD}},
                {"settings": settings.model_dump(mode="json"), "stop_reason": ""},
                as_node="evaluate")
        out = resume_run(ws, _context(sv, log_file), THREAD)
        return collect_run(ws, out.state, cfg=cfg, arm=arm, seed=seed, tracked=tracked,
                           parts=base["parts"], wall_s=time.perf_counter() - t0)


def collect_run(ws, state: dict[str, Any], *, cfg: EfficacyConfig, arm: str, seed: int,
                tracked: list[str], parts: dict[str, str], wall_s: float) -> dict[str, Any]:
    """One arm's numbers per iteration, read back from the workspace it ran in."""
    from .efficacy_metrics import count_added, report_metrics

    pv = state["policy_version"]
    loop_its = {i.number: i for i in ws.list_iterations(THREAD)}
    loop_holdout = {sid for sid, p in parts.items() if p == "loop"}
    rows = []
    for h in history_rows(state):
        n = h.iteration
        it = loop_its.get(n)
        new = [sp.variables for sp in ws.iter_specs(policy_version=pv, iteration=n, split="train")] \
            if n else []
        rows.append({
            "iteration": n, "images_added": h.images_added if n else 0,
            "train_images": h.train_images,
            "plan_source": it.plan_source if it and n else "initial",
            "planned_per_slice": dict(it.added_per_slice) if it and n else {},
            "added_per_slice": count_added(new),
            "control_flagged": flagged_in(getattr(it, "analysis", None), cfg.control_slice)
            if cfg.control_slice and it else None,
            "metrics": report_metrics(ws.get_report(h.report_id), tracked,
                                      control=cfg.control_slice, loop_holdout=loop_holdout)})
    flag, note = control_flag(state, cfg.control_slice, workspace=ws) if cfg.control_slice \
        else (None, "no control slice")
    calls = ws.list_llm_calls()
    llm = {"calls": len(calls), "errors": sum(bool(c.error) for c in calls),
           "prompt_tokens": sum(c.prompt_tokens for c in calls),
           "completion_tokens": sum(c.completion_tokens for c in calls),
           "latency_s": round(sum(c.latency_s for c in calls), 1)}
    return {"world": cfg.world, "arm": arm, "seed": seed, "iterations": rows, "llm": llm,
            "control_flagged": flag, "control_flag_note": note,
            "stop_reason": state.get("stop_reason", ""), "wall_s": round(wall_s, 1), "error": None}


def resolve_oracle(cfg: EfficacyConfig, base_report) -> tuple[str | None, str]:
    """The oracle's slice and where it came from: given (command line or world file), or
    the pooled slice worst at iteration 0 of that seed, never the control (hindsight)."""
    from .efficacy_metrics import worst_slice_keys

    if cfg.oracle_slice:
        return cfg.oracle_slice, "given"
    worst = worst_slice_keys(base_report, 1, control=cfg.control_slice)
    return (worst[0] if worst else None), "worst pooled slice at iteration 0 (hindsight)"


def run_world(cfg: EfficacyConfig, world: World, work: Path, log_file, bar, task,
              show: bool) -> dict[str, Any]:
    """Every seed and arm of one world; the world's part of the result."""
    from synthloop.tools.design import save_policy_yaml
    from synthloop.tools.store import Workspace

    from .efficacy_metrics import COMPARED, aggregate, compare, verdict, worst_slice_keys

    t0 = time.perf_counter()
    wdir = work / cfg.world
    shutil.rmtree(wdir, ignore_errors=True)  # a rerun starts clean
    wdir.mkdir(parents=True)
    policy_path = None
    if not world.policy_file and not world.example:
        policy_path = save_policy_yaml(world.policy, wdir / "policy.yaml")
    runs: list[dict[str, Any]] = []
    bases: list[dict[str, Any]] = []
    for seed in cfg.seeds:
        base_root = wdir / f"seed{seed}" / "base"
        bar.update(task, description=f"{cfg.world} seed {seed}: iteration 0")
        try:
            base = run_base(cfg, world, seed, base_root, log_file, policy_path)
        except KeyboardInterrupt:
            raise
        except Exception as e:  # a broken base run loses its seed, not the benchmark
            log_file.write(f"{cfg.world} base seed {seed} failed: {type(e).__name__}: {e}\n")
            err = f"iteration 0 failed: {type(e).__name__}: {e}"
            bases.append({"seed": seed, "error": err})
            runs += [{"world": cfg.world, "arm": a, "seed": seed, "iterations": [], "error": err}
                     for a in cfg.arms]
            bar.advance(task, 1 + len(cfg.arms))
            if show:
                bar.console.print(f"[red]{cfg.world} seed {seed} failed:[/] {err}")
            continue
        bar.advance(task)
        with Workspace.open(base_root) as ws:
            base_report = ws.get_report(base["report_id"])
        tracked = worst_slice_keys(base_report, control=cfg.control_slice)
        oracle, oracle_from = resolve_oracle(cfg, base_report)
        arm_cfg = replace(cfg, oracle_slice=oracle)
        bases.append({"seed": seed, "holdout_added": base["holdout_added"],
                      "test_images": base["test_images"], "holdout": base["holdout"],
                      "tracked_slices": tracked, "oracle_slice": oracle, "oracle_from": oracle_from,
                      "error": None})
        for arm in cfg.arms:
            bar.update(task, description=f"{cfg.world} seed {seed}: {arm}")
            if arm == "oracle" and oracle is None:
                runs.append({"world": cfg.world, "arm": arm, "seed": seed, "iterations": [],
                             "error": "no oracle slice (give --oracle-slice)"})
            else:
                runs.append(_safe_arm(arm_cfg, base, base_root, arm, seed,
                                      wdir / f"seed{seed}" / arm, log_file, tracked))
            bar.advance(task)
            if show and runs[-1].get("error"):
                bar.console.print(f"[red]{cfg.world} {arm} seed {seed} failed:[/] {runs[-1]['error']}")
    targeted = [a for a in cfg.arms if a != "uniform"]
    return {
        "world": cfg.world, "task": cfg.task, "description": world.description,
        "source": world.source, "policy_title": world.policy.title,
        "control_slice": cfg.control_slice, "config": asdict(cfg), "bases": bases, "runs": runs,
        "summary": aggregate(runs),
        "comparisons": {a: {m: compare(runs, a, metric=m) for m in COMPARED} for a in targeted},
        "verdicts": {a: verdict(runs, a, control=bool(cfg.control_slice)) for a in targeted},
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def run_benchmark(bench: BenchmarkConfig, *, work: Path | None = None, keep: bool = False,
                  show: bool = True) -> dict[str, Any]:
    """Run every world, seed and arm; returns the result dict that `write_results` saves."""
    apply_offline_defaults()
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from synthloop.agent.llm import stop_embedded
    from synthloop.tools.offline import use_workspace_config_dir

    plan = resolve(bench)  # fails early on a bad world, policy, arm or slice
    tmp = None
    if work is None:
        tmp = tempfile.mkdtemp(prefix="synthloop-efficacy-")
        work = Path(tmp)
    work.mkdir(parents=True, exist_ok=True)
    # Ultralytics reads its settings folder once per process: one folder for all runs.
    use_workspace_config_dir(work)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    worlds: list[dict[str, Any]] = []
    total = sum(len(c.seeds) * (1 + len(c.arms)) for _, c in plan)
    try:
        with open(work / "loop.log", "a", encoding="utf-8") as log_file, Progress(
                TextColumn("[bold]{task.description}"), BarColumn(),
                TextColumn("{task.completed}/{task.total} runs"), TimeElapsedColumn(),
                TimeRemainingColumn(), disable=not show) as bar:
            task = bar.add_task("loop efficacy", total=total)
            for world, cfg in plan:
                worlds.append(run_world(cfg, world, work, log_file, bar, task, show))
    finally:
        stop_embedded()
    wall = round(time.perf_counter() - t0, 1)
    result = {
        "benchmark": "loop_efficacy", "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "quick": bench.quick, "config": asdict(bench), "worlds": worlds,
        "runs": [r for w in worlds for r in w["runs"]],
        "machine": {"cpus": os.cpu_count(), "load_1m_start": round(load0, 2),
                    "load_1m_end": round(os.getloadavg()[0], 2), "python": platform.python_version(),
                    "platform": platform.platform()},
        "wall_s": wall, "work": str(work) if keep else None,
    }
    if tmp is not None and not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _safe_arm(cfg, base, base_root, arm, seed, root, log_file, tracked) -> dict[str, Any]:
    """One arm; a failure is recorded (with its message) so the other arms still count."""
    try:
        return run_arm(cfg, base, base_root, arm, seed, root, log_file, tracked)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # the benchmark reports a broken arm instead of losing the rest
        log_file.write(f"{cfg.world} arm {arm} seed {seed} failed: {type(e).__name__}: {e}\n")
        return {"world": cfg.world, "arm": arm, "seed": seed, "iterations": [],
                "error": f"{type(e).__name__}: {e}"}


_SIZE_OPTIONS = (("iterations", int, "targeted iterations per arm"),
                 ("images_per_iteration", int, "images added per iteration"),
                 ("initial_images", int, "images of the initial training set"),
                 ("holdout_images", int, "the loop's own (weighted) holdout"),
                 ("balanced_holdout", int, "the pairwise holdout supplement"),
                 ("control_holdout", int, "the control holdout"),
                 ("image_size", int, "render size"), ("imgsz", int, "training size"),
                 ("base_epochs", int, "epochs of iteration 0"),
                 ("epochs", int, "epochs of each fine-tune"),
                 ("lr0", float, "learning rate of the fine-tunes"),
                 ("warmup_epochs", float, "warm-up epochs of the fine-tunes"),
                 ("nominal_batch", int, "Ultralytics nbs"))


def config_from_args(args: argparse.Namespace) -> BenchmarkConfig:
    """The preset (quick or full) with the command line's overrides."""
    return preset(args.quick, policy=args.policy, example=args.example, worlds=args.world,
                  seeds=args.seeds, arms=args.arms, from_scratch=args.from_scratch or None,
                  oracle_slice=args.oracle_slice,
                  **{name: getattr(args, name) for name, _, _ in _SIZE_OPTIONS})


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The benchmark's options (shared with evals.run_all)."""
    ap.add_argument("--quick", action="store_true", help="smoke run (1 seed, 2 arms, tiny sizes)")
    ap.add_argument("--world", action="append",
                    help=f"built-in world ({', '.join(BUILTIN_WORLDS)}) or world file; repeat "
                    "(default: every built-in world)")
    ap.add_argument("--policy", help="any policy YAML, benchmarked as a world without a control")
    ap.add_argument("--example", help="a built-in world or example policy by name")
    ap.add_argument("--arms", nargs="+", choices=list(ARMS))
    ap.add_argument("--seeds", type=int, help="number of seeds (0..N-1)")
    for name, typ, what in _SIZE_OPTIONS:
        ap.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, help=what)
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
