"""The synthloop command line. Each top-level command and each command group lives in a
module named after it (`import-real` in import_real.py); `commands.py` registers them all on
the shared typer app (`app.py`) from one explicit list."""

from __future__ import annotations

from .app import app, main
from .app import run as _run
from .commands import COMMANDS, GROUPS, register_commands

# importing the command modules set the package attribute `run` to the module run.py;
# `synthloop.agent.cli.run` is the entry function (tests and callers use it)
run = _run

__all__ = ["COMMANDS", "GROUPS", "app", "main", "register_commands", "run"]
