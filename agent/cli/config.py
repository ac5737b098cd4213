"""`synthloop config show`: the effective configuration."""

from __future__ import annotations

import typer
from rich.table import Table

from synthloop.tools.config import load_config

from .app import STATE, console

group = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)


@group.command("show")
def config_show() -> None:
    """Print the effective configuration (file + environment), secrets masked."""
    root = STATE.workspace if (STATE.workspace / "synthloop.db").exists() else None
    cfg = load_config(root)
    console.print(f"config of {'workspace ' + str(root) if root else 'no workspace (defaults + environment)'}")
    for section, values in cfg.display().items():
        t = Table(title=f"\\[{section}]", show_header=False, title_justify="left")
        t.add_column("key", style="cyan")
        t.add_column("value")
        for k, v in values.items():
            t.add_row(k, str(v))
        console.print(t)
