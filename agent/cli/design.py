"""`synthloop design "GOAL"`: draft a policy, lint it, derive scenarios and axes, preview."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .app import NO_CACHE_HELP, console, err_console, services

PREVIEW_SPECS = 1000


def make_llm(sv):
    """The LLM `design` uses: the services' client (tests replace this with a ScriptedLLM)."""
    return sv.llm


def design(
    goal: str = typer.Argument(..., help="The compliance goal, e.g. 'workers wear a hard hat'."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    preview: int = typer.Option(PREVIEW_SPECS, "--preview", min=0, max=1_000_000,
                                help="Specs to expand for the prompt-set preview."),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
) -> None:
    """Draft a policy from GOAL with the LLM (lint, critic pass), derive scenarios and
    variable axes, preview the prompt set, and store the policy as a new version."""
    from synthloop.tools.design import count_specs, expand_specs, pairwise_size

    from ..design import check_goal, design_policy

    goal, goal_notes = check_goal(goal)  # bad goals fail before any model starts
    for note in goal_notes if not as_json else ():
        console.print(f"note: {note}", highlight=False)
    with services(create=True, no_cache=no_cache) as sv:
        ws = sv.workspace
        if sv.created:
            (err_console if as_json else console).print(f"created workspace [bold]{ws.root}[/]",
                                                        soft_wrap=True)
        llm = make_llm(sv)
        try:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                          TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                          console=console, transient=True, disable=as_json) as bar:
                task = bar.add_task("designing", total=3)
                seen: list[str] = []

                def step(stage: str) -> None:
                    if seen:
                        bar.advance(task)
                    seen.append(stage)
                    bar.update(task, description=stage)

                result = design_policy(llm, goal, progress=step)
                bar.advance(task)
        finally:
            llm.close()
        stored = ws.save_policy(result.policy)
        counts = count_specs(expand_specs(stored, preview, strategy="stratified"))
        pair = pairwise_size(stored)
        examples = list(expand_specs(stored, 3, strategy="random", seed=1))
        notes = [n for n in result.notes if n not in goal_notes]  # those were printed first
        if as_json:
            print(json.dumps({
                "version": stored.version, "policy": stored.model_dump(mode="json"),
                "findings": [f.model_dump() for f in result.findings],
                "findings_before_critic": [f.model_dump() for f in result.draft.findings_before],
                "critic_used": result.draft.critic_used, "notes": result.notes,
                "preview": counts.to_dict(), "pairwise_rows": pair[0], "full_product": pair[1],
                "example_prompts": [s.prompt for s in examples]}))
            return
        _print_design(stored, result, notes, counts, pair, examples)


def _print_design(policy, result, notes, counts, pair, examples) -> None:
    console.print(f"[bold]policy v{policy.version}[/]: {policy.title} ({policy.task})",
                  highlight=False)
    t = Table(title="classes and rules", title_justify="left")
    t.add_column("class")
    t.add_column("appears")
    t.add_column("rules")
    for c in policy.classes:
        t.add_row(c.name, c.appears, ", ".join(r.id for r in policy.rules if c.name in r.classes))
    console.print(t)
    for r in policy.rules:
        console.print(f"  {r.id} [{r.severity}] {r.text}", highlight=False, markup=False)
    s = Table(title=f"{len(policy.scenarios)} scenarios (share of a {counts.total}-spec preview)",
              title_justify="left")
    for col in ("scenario", "rule", "kind", "weight", "share"):
        s.add_column(col)
    for sc in policy.scenarios:
        share = counts.by_scenario.get(sc.id, 0) / counts.total if counts.total else 0
        s.add_row(sc.id, sc.rule_id or "-", sc.kind, f"{sc.weight:g}", f"{share:.0%}")
    console.print(s)
    a = Table(title="variable axes", title_justify="left")
    a.add_column("axis")
    a.add_column("values")
    a.add_column("fairness")
    for ax in policy.axes:
        a.add_row(ax.name, ", ".join(ax.value_names()), "yes" if ax.fairness else "")
    console.print(a)
    console.print(f"pairwise design: {pair[0]} rows cover every pair of values "
                  f"(full product {pair[1]:,})")
    for ex in examples:
        console.print(f"  example: {ex.prompt[:160]}", highlight=False, markup=False)
    d = result.draft
    console.print(f"lint: {sum(f.level == 'error' for f in d.findings_before)} error(s) in the "
                  f"first draft" + (", critic pass run" if d.critic_used else "")
                  + f"; now {sum(f.level == 'error' for f in result.findings)} error(s), "
                  f"{sum(f.level == 'warning' for f in result.findings)} warning(s)")
    for f in result.findings:
        console.print(f"  {f.one_line()}", highlight=False, markup=False)
    if notes:
        console.print(f"{len(notes)} change(s) made by code:")
        for n in notes[:25]:
            console.print(f"  - {n}", highlight=False, markup=False)
    console.print(f"next: [bold]synthloop review --version {policy.version}[/]")
