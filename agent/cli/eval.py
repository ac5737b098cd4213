"""`synthloop eval efficacy|policy`: the evaluation suites (`synthloop.evals`) from the command
line. They ship in the wheel, so the command works from an installed package as well as from a
checkout; results go to `evals/results` in a checkout, else to `./synthloop-eval-results`."""

from __future__ import annotations

from pathlib import Path

import typer

from synthloop.tools.errors import ValidationError

from .app import console

group = typer.Typer(help="Evaluation suites: loop efficacy and policy quality.",
                    no_args_is_help=True)


@group.command("efficacy")
def efficacy(
    quick: bool = typer.Option(False, "--quick", help="~1-minute smoke run (1 seed, 2 arms)."),
    worlds: list[str] | None = typer.Option(None, "--world", help="Built-in world (ppe_rare, "
                                            "helmet_cls) or a world file; repeat (default: both)."),
    policy: Path | None = typer.Option(None, help="Benchmark this policy YAML (a world without a control)."),
    example: str | None = typer.Option(None, help="A built-in world or example policy by name."),
    arms: list[str] | None = typer.Option(None, "--arm", help="Arm to run (repeat): uniform, "
                                          "targeted-allocator, targeted-llm, oracle."),
    seeds: int | None = typer.Option(None, help="Number of seeds (0..N-1)."),
    iterations: int | None = typer.Option(None, help="Targeted iterations per arm."),
    per_iteration: int | None = typer.Option(None, help="Images added per iteration."),
    oracle_slice: str | None = typer.Option(None, help="axis=value for the oracle arm."),
    from_scratch: bool = typer.Option(False, "--from-scratch", help="Train every iteration from scratch."),
    out: Path | None = typer.Option(None, help="Results folder (default evals/results)."),
    work: Path | None = typer.Option(None, help="Keep the run workspaces in this folder."),
) -> None:
    """Targeted vs uniform data at an equal image budget, through the real loop."""
    from synthloop.evals import loop_efficacy
    from synthloop.evals.efficacy_report import print_summary, write_results

    if policy is not None and not policy.is_file():
        raise ValidationError(f"policy file {policy} does not exist", "export one: synthloop policy export")
    if oracle_slice is not None and "=" not in oracle_slice:
        raise ValidationError(f"oracle slice {oracle_slice!r} is not axis=value", "e.g. lighting=night")
    cfg = loop_efficacy.preset(quick, policy=str(policy) if policy else None, seeds=seeds,
                               worlds=worlds or None,
                               arms=arms, example=None if policy else example,
                               iterations=iterations, images_per_iteration=per_iteration,
                               oracle_slice=oracle_slice, from_scratch=from_scratch or None)
    result = loop_efficacy.run_benchmark(cfg, work=work, keep=work is not None)
    paths = write_results(result, out or loop_efficacy.RESULTS,
                          "efficacy_quick" if quick else "efficacy")
    print_summary(result, paths)
    failed = [f"{r['arm']} seed {r['seed']}" for r in result["runs"] if r.get("error")]
    if failed:
        console.print(f"[red]failed runs:[/] {', '.join(failed)} (see the report)")
        raise typer.Exit(1)


@group.command("policy")
def policy_quality(
    quick: bool = typer.Option(False, "--quick", help="One goal (CI smoke)."),
    goals: list[str] | None = typer.Option(None, "--goal", help="Goal id from evals/goals.py (repeat)."),
    out: Path | None = typer.Option(None, help="Results folder (default evals/results)."),
) -> None:
    """Draft policies for varied compliance goals with the configured LLM and grade them."""
    from rich.markdown import Markdown

    from synthloop.evals import policy_quality as pq
    from synthloop.evals.goals import QUICK_GOALS

    ids = goals or (list(QUICK_GOALS) if quick else None)
    result = pq.run_suite(ids)
    paths = pq.write_results(result, out or pq.RESULTS,
                             "policy_quality_quick" if quick else "policy_quality")
    console.print(Markdown(pq.render_markdown(result)))
    console.print(f"report: {paths['markdown']}\njson: {paths['json']}\nplot: {paths['plots'][0]}")
