"""The loop under `langgraph dev` / LangGraph Studio (langgraph.json points here).

The server sends every run a JSON context (`{}` when the caller gives none), described by
the graph's context schema `StudioContext` (a workspace path), and shows the assistant's
input, output and context schemas. The nodes read a LoopContext as `runtime.context`, so
this module's `graph` wraps each node: before it runs, the server's JSON becomes the
LoopContext of the workspace it names (or $SYNTHLOOP_WORKSPACE), built by the one
composition root (`open_services`) once per workspace and server process. A workspace is
never created here: a mistyped path would silently start an empty one.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.errors import WorkspaceError

from .context import LoopContext, StudioContext
from .graph import build_graph

WORKSPACE_ENV = "SYNTHLOOP_WORKSPACE"

_contexts: dict[str, LoopContext] = {}  # one per workspace per server process
_lock = threading.Lock()


def loop_context(context: Any) -> LoopContext:
    """The LoopContext for a server's JSON context (a LoopContext is returned as it is)."""
    if isinstance(context, LoopContext):
        return context
    given = context.get("workspace") if isinstance(context, dict) else None
    raw = given or os.environ.get(WORKSPACE_ENV)
    if not raw:
        raise WorkspaceError(
            "run context: no workspace for this run: the context has no 'workspace' and "
            f'{WORKSPACE_ENV} is not set (hint: pass context {{"workspace": "DIR"}} with the '
            f"run, or start the server with {WORKSPACE_ENV}=DIR; make one with: "
            "synthloop init DIR)")
    root = Path(raw).expanduser()
    if not root.is_absolute():
        root = Path.cwd() / root
    key = os.path.realpath(root)
    with _lock:
        ctx = _contexts.get(key)
        if ctx is None:
            from .services import open_services

            try:  # refuses a path that is not a workspace
                sv = open_services(root, write=True)
            except WorkspaceError as e:  # the server shows str(error): keep the hint in it
                raise WorkspaceError(f"run context: {e.one_line()}") from e
            ctx = _contexts[key] = sv.loop_context(progress=False)
        return ctx


def with_server_context(node: Callable) -> Callable:
    """`node` with its Runtime's JSON context replaced by the LoopContext it names. The
    signature is kept (functools.wraps), so LangGraph injects config and runtime as before."""

    @functools.wraps(node)
    def run(state, *args, **kwargs):
        args = tuple(_with_context(a) for a in args)
        kwargs = {k: _with_context(v) for k, v in kwargs.items()}
        return node(state, *args, **kwargs)

    return run


def _with_context(value: Any) -> Any:
    if isinstance(value, Runtime) and not isinstance(value.context, LoopContext):
        return value.override(context=loop_context(value.context))
    return value


# For `langgraph dev` / LangGraph Studio: no checkpointer, the platform brings its own.
graph = build_graph(wrap=with_server_context).compile(name="synthloop")

__all__ = ["StudioContext", "WORKSPACE_ENV", "graph", "loop_context", "with_server_context"]
