"""The typer app, its global options, logging, and the one place errors become exit codes.

Exit codes: 0 ok; 2 bad input (SynthloopError subclasses with exit_code 2, usage errors);
1 internal error (a traceback in the log file, one line on the terminal); 130 Ctrl-C;
143 SIGTERM, which unwinds like Ctrl-C (worker pools closed, finished images stored,
training and run marked interrupted) instead of killing the process where it stands.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from synthloop.tools.errors import SynthloopError, storage_error

try:  # typer >= 0.29 vendors its own copy of click, with its own exception classes
    from typer._click import exceptions as typer_click
except ImportError:  # older typer uses click itself
    typer_click = click.exceptions
from synthloop.tools.offline import apply_offline_defaults, cache_dir, use_workspace_config_dir
from synthloop.tools.secrets import RedactingFilter

if TYPE_CHECKING:
    from ..services import Services

DEFAULT_WORKSPACE = "synthloop-workspace"
console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("synthloop")

app = typer.Typer(
    name="synthloop",
    help="An LLM-driven agentic dataset designer: goal -> policy -> synthetic data -> model -> "
    "targeted data, loop after loop. Runs offline on embedded defaults.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)


@dataclass
class Globals:
    workspace: Path
    verbose: bool
    log_path: Path


STATE = Globals(workspace=Path(DEFAULT_WORKSPACE), verbose=False,
                log_path=cache_dir() / "synthloop.log")


def setup_logging(log_path: Path, verbose: bool) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_synthloop", False):
            root.removeHandler(h)
    root.setLevel(logging.DEBUG)
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_path)
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
        fh.addFilter(RedactingFilter())
        fh._synthloop = True  # type: ignore[attr-defined]
        root.addHandler(fh)
        STATE.log_path = log_path
    except OSError:
        pass
    ch = RichHandler(console=err_console, show_time=False, show_path=False)
    ch.setLevel(logging.DEBUG if verbose else logging.WARNING)
    ch.addFilter(RedactingFilter())
    ch.addFilter(lambda r: r.name != "synthloop.internal")  # tracebacks go to the file only
    ch._synthloop = True  # type: ignore[attr-defined]
    root.addHandler(ch)
    for noisy in ("httpx", "httpcore", "openai", "urllib3", "PIL", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def _global(
    workspace: Path = typer.Option(
        Path(DEFAULT_WORKSPACE), "--workspace", "-w", envvar="SYNTHLOOP_WORKSPACE",
        help="Workspace folder (also SYNTHLOOP_WORKSPACE).", show_default=True,
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logs on the terminal."),
) -> None:
    STATE.workspace = workspace.expanduser()
    STATE.verbose = verbose
    ws_logs = STATE.workspace / "logs"
    log_path = ws_logs / "synthloop.log" if ws_logs.is_dir() else cache_dir() / "synthloop.log"
    setup_logging(log_path, verbose)
    if (STATE.workspace / "synthloop.db").exists():
        use_workspace_config_dir(STATE.workspace.resolve())


def services(*, write: bool = False, create: bool = False, root: Path | None = None,
             no_cache: bool = False) -> Services:
    """The workspace named by --workspace (or `root`) with its config and LLM, through the
    one composition root (agent/services.py); its log file replaces the fallback one.
    `no_cache` (a command's --no-cache) turns the LLM reply cache off. Errors are UserErrors
    with hints; nothing is created unless `create`."""
    from ..services import open_services

    return open_services(root or STATE.workspace, write=write, create=create,
                         llm_cache=False if no_cache else None,
                         on_open=lambda ws: setup_logging(ws.log_path, STATE.verbose))


NO_CACHE_HELP = ("Ask the LLM again instead of replaying the reply stored for an identical "
                 "request (llm.cache = false turns the cache off for good).")


def open_workspace(write: bool = False):
    """The workspace of `services()`, for the commands that need no LLM."""
    return services(write=write).workspace


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    code = run(argv)
    sys.exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds exactly like Ctrl-C."""


_terminated = threading.Event()  # typer turns any KeyboardInterrupt into exit code 130


def _on_sigterm(signum, frame) -> None:
    _terminated.set()
    raise Terminated()


def _stopped(code: int) -> int:
    if _terminated.is_set():
        err_console.print("terminated (SIGTERM); run state is kept (see: synthloop status)")
        return 143
    err_console.print("interrupted; run state is kept (see: synthloop status)")
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by main and by tests). The offline
    environment defaults are applied here, never on import."""
    apply_offline_defaults()
    from . import register_commands

    register_commands()
    in_main = threading.current_thread() is threading.main_thread()
    _terminated.clear()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        return _run(argv)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str] | None) -> int:
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="synthloop")
        if rv == 130:  # Ctrl-C or SIGTERM, as typer reports it
            return _stopped(130)
        return rv if isinstance(rv, int) else 0
    except (click.exceptions.Exit, typer.Exit) as e:
        return _stopped(130) if e.exit_code == 130 else e.exit_code
    except (click.exceptions.Abort, typer.Abort) as e:  # older typer: KeyboardInterrupt
        if isinstance(e.__cause__, KeyboardInterrupt):
            return _stopped(130)
        err_console.print("aborted")
        return 130
    except (click.ClickException, typer_click.ClickException) as e:
        e.show()
        return 2
    except SynthloopError as e:
        log.debug("user-facing error", exc_info=True)
        err_console.print(f"[bold red]error:[/] {escape(e.one_line())}", highlight=False,
                          soft_wrap=True)  # escaped: "[training]" in a message is text
        return e.exit_code
    except KeyboardInterrupt:
        return _stopped(130)
    except Exception as e:  # an internal error: traceback to the log, one line here
        disk = storage_error(e)
        if disk is not None:  # the user's environment (disk full, read-only), not a bug
            log.debug("storage error", exc_info=True)
            err_console.print(f"[bold red]error:[/] {escape(disk.one_line())}", highlight=False,
                              soft_wrap=True)
            return disk.exit_code
        logging.getLogger("synthloop.internal").exception("internal error")
        err_console.print(
            f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))}. "
            f"The traceback is in {STATE.log_path}", highlight=False, soft_wrap=True)
        return 1


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
