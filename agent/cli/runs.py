"""`synthloop runs`: the runs (threads) of the workspace."""

from __future__ import annotations

from rich.table import Table

from .app import console, open_workspace


def runs() -> None:
    """List the runs (threads) of this workspace and where each stands."""
    from ..runner import list_threads, run_info

    with open_workspace(write=False) as ws:
        t = Table(title="runs", title_justify="left")
        for col in ("thread", "goal", "iteration", "state", "stop reason / next"):
            t.add_column(col)
        for th in list_threads(ws):
            if th.startswith("chat-"):
                continue
            i = run_info(ws, th)
            state = f"failed: {i['error']}" if i["error"] else i["state"]
            t.add_row(th, i["goal"][:40], str(i["iteration"]), state,
                      i["stop_reason"] or ", ".join(i["next"]))
        console.print(t)
