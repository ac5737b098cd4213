"""`synthloop init`: create (or open) a workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import STATE, console, services


def init(
    directory: Path | None = typer.Argument(None, help="Folder to create (default: --workspace)."),
) -> None:
    """Create a workspace: a database, a content-addressed file store and a config file."""
    target = (directory or STATE.workspace).expanduser()
    with services(create=True, root=target) as sv:
        ws = sv.workspace
        verb = "created" if sv.created else "opened existing"
        console.print(f"{verb} workspace [bold]{ws.root}[/]")
        console.print(f"  config: {ws.root / 'synthloop.toml'}   log: {ws.log_path}")
