"""`synthloop policy export|import|diff|show`: hand edits create new versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from .app import console, open_workspace

group = typer.Typer(help="Export, import, compare and show policy versions.",
                    no_args_is_help=True)


@group.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="YAML file to write.")],
    version: int | None = typer.Option(None, "--version", help="Policy version (default: latest)."),
) -> None:
    """Write a policy version to a YAML file you can edit and import again."""
    from synthloop.tools.design import export_policy

    with open_workspace(write=False) as ws:
        policy, path = export_policy(ws, file, version)
    console.print(f"policy v{policy.version} written to {path}", highlight=False, soft_wrap=True)


@group.command("import")
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


@group.command("diff")
def diff(v1: int = typer.Argument(..., help="Old version."),
         v2: int = typer.Argument(..., help="New version.")) -> None:
    """What changed from policy version V1 to V2."""
    from synthloop.tools.design import diff_policies

    with open_workspace(write=False) as ws:
        d = diff_policies(ws.get_policy(v1), ws.get_policy(v2))
    console.print(f"v{v1} -> v{v2}: {d.summary()}")
    for e in d.entries:
        console.print(f"  {e.one_line()}", highlight=False, markup=False)


@group.command("show")
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
