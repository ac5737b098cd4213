"""`synthloop llm check`: which endpoint and model are in use, and how fast they answer."""

from __future__ import annotations

import json

import typer

from synthloop.tools.config import load_config

from .app import STATE, console

group = typer.Typer(help="The LLM endpoint: check it answers.", no_args_is_help=True)


@group.command("check")
def check(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line instead of text."),
) -> None:
    """Send one tiny request to the configured LLM (the embedded model when none is set)
    and report the endpoint, the model and the round-trip latency."""
    from synthloop.agent.llm import get_llm, stop_embedded

    ws_root = STATE.workspace if (STATE.workspace / "synthloop.db").exists() else None
    config = load_config(ws_root).llm
    llm = get_llm(config)
    llm.max_retries = 0  # a check reports what one request does, at once
    try:
        result = llm.check()
    finally:
        llm.close()
        stop_embedded()
    kind = "embedded" if llm.embedded else "remote"
    if as_json:
        print(json.dumps({"endpoint": result.endpoint, "kind": kind, "model": result.model,
                          "latency_s": round(result.latency_s, 3),
                          "startup_s": round(result.startup_s, 3), "reply": result.reply}))
        return
    console.print(f"endpoint: [bold]{result.endpoint}[/]"
                  + ("" if llm.embedded else f" ({kind})"), highlight=False)
    console.print(f"model:    {result.model}", highlight=False)
    if llm.embedded:
        console.print(f"startup:  {result.startup_s:.2f} s (weights checked, server started)")
    console.print(f"latency:  {result.latency_s:.2f} s for a tiny request "
                  f"(reply: {result.reply[:40]!r})", highlight=False)
