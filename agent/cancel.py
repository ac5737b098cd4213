"""Cancelling a run that a server drives (`langgraph dev`, LangGraph Studio).

The server runs the graph with `astream` and cancels a run by cancelling its asyncio task.
A sync node runs in a worker thread, which a task cancellation never reaches: training went
on to the last epoch after "cancel". `cancellable(node)` keeps the node's sync form (the CLI
streams synchronously and stops with Ctrl-C) and gives it an async form that runs the node
in a thread with a stop flag; when the task is cancelled the flag is set, the node's work
loops see it through `stop_requested()` and raise `RunCancelled` (a KeyboardInterrupt, so
every clean-up written for Ctrl-C runs: finished images stored, the training run recorded
as interrupted, worker processes stopped), and the task waits for the thread to end.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph.runtime import get_runtime

log = logging.getLogger("synthloop.cancel")
T = TypeVar("T")

_stop: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "synthloop_stop", default=None)
STOP_WAIT_S = 60.0
"""How long a cancelled task waits for its node's thread to stop (a batch, an epoch step)."""


class RunCancelled(KeyboardInterrupt):
    """The run was cancelled by the server that drives it."""


def stop_requested() -> bool:
    """True once the run this thread works for was cancelled."""
    ev = _stop.get()
    return ev is not None and ev.is_set()


def raise_if_cancelled() -> None:
    if stop_requested():
        raise RunCancelled("the run was cancelled")


class StopChecked(Sequence[T]):
    """`items` read one by one, checking for a cancelled run before each (a lazy reader
    such as generate_samples stops within a batch); len() still works for progress."""

    def __init__(self, items: Sequence[T]):
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):  # type: ignore[override]
        return self._items[i]

    def __iter__(self) -> Iterator[T]:
        for item in self._items:
            raise_if_cancelled()
            yield item


def cancellable(node: Callable[[dict[str, Any], Any], Any], *, name: str | None = None):
    """The node as a runnable whose async form stops its work when the run is cancelled."""

    def run_sync(state: dict[str, Any], config: RunnableConfig) -> Any:
        return node(state, get_runtime())

    async def run_async(state: dict[str, Any], config: RunnableConfig) -> Any:
        runtime = get_runtime()
        stop = threading.Event()
        ctx = contextvars.copy_context()  # the run's config, so interrupt() and logging work
        ctx.run(_stop.set, stop)
        work = asyncio.get_running_loop().run_in_executor(None, ctx.run, node, state, runtime)
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            stop.set()
            log.warning("run cancelled during %s; stopping its work", name or node.__name__)
            done, _ = await asyncio.wait({work}, timeout=STOP_WAIT_S)
            if not done:
                log.error("%s did not stop within %.0f s of the cancel", name or node.__name__,
                          STOP_WAIT_S)
            elif not work.cancelled() and work.exception() is not None \
                    and not isinstance(work.exception(), KeyboardInterrupt):
                log.error("%s failed while stopping: %r", name or node.__name__, work.exception())
            raise

    return RunnableLambda(run_sync, afunc=run_async, name=name or node.__name__)
