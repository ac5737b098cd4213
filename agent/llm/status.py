"""The spinner every LLM call shows on a terminal: what is asked, of which endpoint, for how
long, and how many tokens have arrived, so a slow or silent endpoint is never a blank
screen. Drawn on stderr (stdout stays for results and --json); nothing off a terminal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner

_console = Console(stderr=True)
_active = threading.local()


class CallStatus:
    """What the spinner shows; the client updates `phase` and `tokens` as a reply arrives."""

    def __init__(self, what: str, endpoint: str):
        self.what, self.endpoint = what, endpoint
        self.started = time.monotonic()
        self.phase = "waiting for"
        self.tokens = 0
        self._spinner = Spinner("dots")

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        got = f", {self.tokens} tokens" if self.tokens else ""
        return f"LLM {self.what}: {self.phase} {self.endpoint} ({elapsed:.0f} s{got})"

    def __rich__(self) -> Spinner:
        self._spinner.update(text=self.line())
        return self._spinner


def current() -> CallStatus | None:
    """The status of the LLM call this thread is making, if any."""
    return getattr(_active, "status", None)


@contextmanager
def llm_status(what: str, endpoint: str) -> Iterator[CallStatus]:
    """Show a spinner with the elapsed time while the body runs (one LLM call)."""
    outer = current()
    if outer is not None:  # e.g. check() around its request: one spinner
        yield outer
        return
    status = CallStatus(what, endpoint)
    _active.status = status
    try:
        if not _console.is_terminal:
            yield status
            return
        with Live(status, console=_console, transient=True, refresh_per_second=4):
            yield status
    finally:
        _active.status = None
