"""`synthloop demo`: the README's main job. It grows into the full improvement loop."""

from __future__ import annotations

from .app import STATE, app, console


@app.command()
def demo() -> None:
    """Run the built-in demo on the embedded defaults (offline, CPU)."""
    from tools.store import Workspace

    with Workspace.init(STATE.workspace) as ws:
        console.print(f"workspace ready: [bold]{ws.root}[/]")
    from .workspace_cmds import status

    status()
