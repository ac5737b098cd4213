"""`synthloop quarantine list|why|release|confirm`: the samples verification flagged. A
quarantined sample is left out of new dataset versions until a person releases it;
confirming keeps it out for good. Nothing is ever deleted."""

from __future__ import annotations

import typer
from rich.table import Table

from synthloop.tools.errors import NotFound

from .app import console, open_workspace

group = typer.Typer(help="Samples flagged by label verification: list, explain, release, "
                         "confirm.", no_args_is_help=True)


@group.command("list")
def quarantine_list(
    status: str = typer.Option("quarantined", "--status",
                               help="quarantined | released | confirmed | all"),
) -> None:
    """The flagged samples with their verifier, score and reason."""
    from synthloop.tools.errors import ValidationError

    if status not in ("quarantined", "released", "confirmed", "all"):
        raise ValidationError(f"--status {status!r} is not one of quarantined, released, "
                              "confirmed, all", "e.g. synthloop quarantine list --status all")
    with open_workspace() as ws:
        flags = ws.list_flags(status=None if status == "all" else status)
    t = Table(title=f"{len(flags)} flag(s), status {status}", title_justify="left")
    for col in ("sample", "verifier", "status", "score", "reason"):
        t.add_column(col, overflow="fold")
    for f in sorted(flags, key=lambda f: f.score):
        t.add_row(f.sample_id, f.verifier, f.status, f"{f.score:.2f}", f.reason)
    console.print(t)


@group.command("why")
def quarantine_why(sample_id: str = typer.Argument(..., help="The sample id.")) -> None:
    """Why a sample was flagged: each verifier's reason and the objects it named."""
    with open_workspace() as ws:
        ws.get_samples([sample_id])  # NotFound (exit 2) for an unknown id
        flags = ws.list_flags(sample_id=sample_id)
    if not flags:
        console.print(f"sample {sample_id} has no flags: it is not quarantined")
        return
    for f in flags:
        console.print(f"[bold]{f.sample_id}[/] {f.status} by {f.verifier} (score {f.score:.2f}): "
                      f"{f.reason}", soft_wrap=True)
        for o in f.objects:
            which = f"label {o.index}" if o.index is not None else "no label"
            console.print(f"  - {which} {o.cls} at {tuple(round(v) for v in o.box or ())}: "
                          f"{o.reason}", soft_wrap=True)


def _set(ids: list[str], status: str) -> None:
    with open_workspace(write=True) as ws:
        flagged = {f.sample_id for f in ws.list_flags()}
        unknown = [i for i in ids if i not in flagged]
        if unknown:
            raise NotFound(f"sample {unknown[0]} has no flag", "see: synthloop quarantine list")
        n = ws.set_flag_status(ids, status)
    console.print(f"{status} {len(ids)} sample(s) ({n} flag(s)); "
                  + ("they come back in the next dataset version" if status == "released"
                     else "they stay out of training"))


@group.command("release")
def quarantine_release(sample_ids: list[str] = typer.Argument(..., help="Sample ids.")) -> None:
    """The labels are right: the samples return to training in the next dataset version."""
    _set(sample_ids, "released")


@group.command("confirm")
def quarantine_confirm(sample_ids: list[str] = typer.Argument(..., help="Sample ids.")) -> None:
    """The labels are wrong: the samples stay out of training (kept, never deleted)."""
    _set(sample_ids, "confirmed")
