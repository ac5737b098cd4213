"""What the loop needs under `langgraph dev` / LangGraph Studio (langgraph.json).

The server sends every run a JSON context (`{}` when the caller gives none) and shows the
assistant's input, output and context schemas, which pydantic builds from the graph's
TypedDicts. So:

- `StudioContext` is the context schema: plain JSON (a workspace path), no objects. The CLI
  still passes a full LoopContext (console, LLM client), which LangGraph hands to the nodes
  as it is; `loop_context` turns the server's JSON into one.
- `portable(td)` rebuilds a `typing.TypedDict` as a `typing_extensions.TypedDict`: on
  Python < 3.12 pydantic refuses the former, and the server then shows null schemas.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, NotRequired, get_type_hints

import typing_extensions
from typing_extensions import TypedDict

from synthloop.tools.errors import WorkspaceError

from .context import LoopContext

WORKSPACE_ENV = "SYNTHLOOP_WORKSPACE"


class StudioContext(TypedDict, total=False):
    """The run context a LangGraph server passes (JSON)."""

    workspace: str
    """The workspace folder (made by `synthloop init`); default: $SYNTHLOOP_WORKSPACE."""


_contexts: dict[str, LoopContext] = {}
_lock = threading.Lock()


def loop_context(context: Any) -> LoopContext:
    """The LoopContext for a server's JSON context: the workspace it names (or
    $SYNTHLOOP_WORKSPACE), opened for writing once per server process, and its LLM.
    A workspace is never created here: a mistyped path would silently start an empty one."""
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
            from synthloop.tools.config import load_config
            from synthloop.tools.store import Workspace

            from .llm import get_llm

            try:  # refuses a path that is not a workspace
                ws = Workspace.open(root, write=True)
            except WorkspaceError as e:  # the server shows str(error): keep the hint in it
                raise WorkspaceError(f"run context: {e.one_line()}") from e
            ctx = LoopContext(workspace=ws, llm=get_llm(load_config(ws.root).llm, workspace=ws),
                              progress=False)
            _contexts[key] = ctx
        return ctx


def portable(td: type) -> type:
    """`td` (a typing.TypedDict) as a typing_extensions.TypedDict with the same name, keys,
    types and required keys, so pydantic (and so the server's schema pages) accept it."""
    hints = get_type_hints(td)
    fields = {k: (t if k in td.__required_keys__ else NotRequired[t]) for k, t in hints.items()}
    out = typing_extensions.TypedDict(td.__name__, fields)
    out.__doc__ = td.__doc__
    out.__module__ = td.__module__
    return out
