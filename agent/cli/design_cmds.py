"""`synthloop design "GOAL"`, `synthloop review`, and `synthloop policy export|import|diff|show`."""

from __future__ import annotations

import json
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from synthloop.tools.config import load_config
from synthloop.tools.errors import ValidationError

from .app import STATE, app, console, err_console, open_workspace

policy_app = typer.Typer(help="Export, import, compare and show policy versions.",
                         no_args_is_help=True)
app.add_typer(policy_app, name="policy")
PREVIEW_SPECS = 1000


def make_llm(ws):
    """The LLM the design commands use (tests replace this with a ScriptedLLM)."""
    from ..llm import get_llm

    return get_llm(load_config(ws.root).llm, workspace=ws)


def _open_or_create(quiet: bool = False):
    from synthloop.tools.store import Workspace

    if (STATE.workspace / "synthloop.db").exists():
        return open_workspace(write=True)
    ws = Workspace.init(STATE.workspace)
    (err_console if quiet else console).print(f"created workspace [bold]{ws.root}[/]",
                                              soft_wrap=True)
    return ws


@app.command()
def design(
    goal: str = typer.Argument(..., help="The compliance goal, e.g. 'workers wear a hard hat'."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    preview: int = typer.Option(PREVIEW_SPECS, "--preview", min=0, max=1_000_000,
                                help="Specs to expand for the prompt-set preview."),
) -> None:
    """Draft a policy from GOAL with the LLM (lint, critic pass), derive scenarios and
    variable axes, preview the prompt set, and store the policy as a new version."""
    from synthloop.tools.design import count_specs, expand_specs, pairwise_size

    from ..design import check_goal, design_policy

    goal, goal_notes = check_goal(goal)  # bad goals fail before any model starts
    for note in goal_notes if not as_json else ():
        console.print(f"note: {note}", highlight=False)
    with _open_or_create(quiet=as_json) as ws:
        llm = make_llm(ws)
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


@app.command()
def review(
    version: int | None = typer.Option(None, "--version", help="Policy version (default: latest)."),
    approve: bool = typer.Option(False, "--approve", help="Record an approval."),
    reject: str | None = typer.Option(None, "--reject", help="Record a rejection with a comment."),
    open_page: bool = typer.Option(False, "--open", help="Open the HTML page in a browser."),
) -> None:
    """Write the design review of a policy version (Markdown + HTML under reports/) and
    record an approval or a rejection."""
    from synthloop.tools.design import write_review

    if approve and reject is not None:
        raise ValidationError("--approve and --reject exclude each other", "choose one")
    if reject is not None and not reject.strip():
        raise ValidationError("--reject needs a comment saying what should change",
                              'e.g. --reject "add a class for safety glasses"')
    with open_workspace(write=True) as ws:
        md, page = write_review(ws, version)
        v = ws.get_policy(version).version
        console.print(f"review of policy v{v}:\n  {md}\n  {page}", highlight=False,
                      soft_wrap=True)
        if approve:
            ws.record_review(v, "approved", "")
            console.print(f"policy v{v} [green]approved[/]")
        elif reject is not None:
            ws.record_review(v, "rejected", reject.strip()[:2000])
            console.print(f"policy v{v} [red]rejected[/]: {reject.strip()[:200]}", highlight=False)
        else:
            st = ws.review_status(v)
            state = st[0] if st else "not reviewed"
            if ws.is_approved(v):
                nxt = ("next: synthloop generate --n N (--reject 'comment' withdraws the "
                       "approval)")
            elif state == "rejected":
                nxt = ('redraft with the comment: synthloop design "GOAL", or accept it as it '
                       "is with --approve")
            else:
                nxt = "decide with --approve or --reject 'comment'"
            console.print(f"status: {state}; {nxt}", highlight=False)
    if open_page:
        webbrowser.open(page.as_uri())


@policy_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="YAML file to write.")],
    version: int | None = typer.Option(None, "--version", help="Policy version (default: latest)."),
) -> None:
    """Write a policy version to a YAML file you can edit and import again."""
    from synthloop.tools.design import export_policy

    with open_workspace(write=False) as ws:
        policy, path = export_policy(ws, file, version)
    console.print(f"policy v{policy.version} written to {path}", highlight=False, soft_wrap=True)


@policy_app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="YAML file to read.")]) -> None:
    """Validate and lint a policy YAML file and store it as a new version (its parent is
    the version it was exported from). Nothing is stored when it has errors."""
    from synthloop.tools.design import diff_policies, import_policy

    with open_workspace(write=True) as ws:
        stored, findings = import_policy(ws, file)
        console.print(f"imported {file} as policy v{stored.version}"
                      + (f" (parent v{stored.parent_version})" if stored.parent_version else ""),
                      highlight=False, soft_wrap=True)
        for f in findings:
            console.print(f"  {f.one_line()}", highlight=False, markup=False)
        if stored.parent_version:
            d = diff_policies(ws.get_policy(stored.parent_version), stored)
            console.print(f"changes from v{stored.parent_version}: {d.summary()}")
            for e in d.entries[:30]:
                console.print(f"  {e.one_line()}", highlight=False, markup=False)


@policy_app.command("diff")
def diff(v1: int = typer.Argument(..., help="Old version."),
         v2: int = typer.Argument(..., help="New version.")) -> None:
    """What changed from policy version V1 to V2."""
    from synthloop.tools.design import diff_policies

    with open_workspace(write=False) as ws:
        d = diff_policies(ws.get_policy(v1), ws.get_policy(v2))
    console.print(f"v{v1} -> v{v2}: {d.summary()}")
    for e in d.entries:
        console.print(f"  {e.one_line()}", highlight=False, markup=False)


@policy_app.command("show")
def show(
    version: int | None = typer.Option(None, "--version", help="Policy version (default: latest)."),
    as_yaml: bool = typer.Option(False, "--yaml", help="Print the policy as YAML."),
) -> None:
    """Show a policy version: classes, rules, scenarios, axes, lint and a coverage preview."""
    from synthloop.tools.design import policy_to_yaml, render_review_markdown

    with open_workspace(write=False) as ws:
        policy = ws.get_policy(version)
        if as_yaml:
            print(policy_to_yaml(policy), end="")
            return
        console.print(Markdown(render_review_markdown(policy)))
        versions = ws.list_policies()
        console.print(f"versions: {', '.join(f'v{v}' for v, *_ in versions)}")
