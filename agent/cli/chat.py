"""`synthloop chat`: a conversational session over the workspace."""

from __future__ import annotations

import uuid

import typer
from rich.markdown import Markdown

from .app import NO_CACHE_HELP, console, services


def chat(
    thread: str | None = typer.Option(None, "--thread", help="Continue this conversation."),
    message: list[str] | None = typer.Option(None, "--message", "-m",
                                             help="Send these messages and exit (scripts)."),
    yes: bool = typer.Option(False, "--yes", help="Confirm costly actions without asking."),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
) -> None:
    """Talk to synthloop about the policy, reports and samples, and ask for actions
    ("generate 200 more for hard_hat at night", "approve the policy")."""
    from ..chat import ChatSession

    with services(write=True, no_cache=no_cache) as sv:
        ws, llm = sv.workspace, sv.llm

        def confirm(action) -> bool:
            if yes:
                return True
            args = ", ".join(f"{k}={v}" for k, v in action.model_dump().items() if v and k != "kind")
            return typer.confirm(f"run {action.kind} ({args})? it spends compute", default=False)

        session = ChatSession(ws, llm, thread or uuid.uuid4().hex[:8], confirm)
        console.print(f"chat thread [bold]{session.thread_id}[/] (continue later with "
                      f"--thread {session.thread_id}); empty line or Ctrl-D to leave")
        for m in session.history()[-4:]:
            console.print(f"[dim]{m['role']}: {m['content'][:200]}[/]")
        pending = list(message or [])
        while True:
            if message is not None:
                if not pending:
                    break
                text = pending.pop(0)
                console.print(f"[bold]you>[/] {text}")
            else:
                try:
                    text = console.input("[bold]you> [/]").strip()
                except EOFError:
                    break
                if not text:
                    break
            for part in session.send(text):
                console.print(Markdown(part))
