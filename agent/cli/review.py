"""`synthloop review`: the design review of a policy version, and its decision."""

from __future__ import annotations

import webbrowser

import typer

from synthloop.tools.errors import ValidationError

from .app import console, open_workspace


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
