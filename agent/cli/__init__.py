"""The synthloop command line. Each command group lives in its own module and registers
itself on the shared typer app when imported."""

from __future__ import annotations

import importlib

from .app import app, main, run

# Command modules, imported in this order; a module that is not there yet is skipped, so
# the CLI grows one file at a time.
COMMAND_MODULES = (
    "workspace_cmds",
    "llm_cmds",
    "design_cmds",
    "data_cmds",
    "dataset_cmds",
    "train_cmds",
    "loop_cmds",
    "chat_cmds",
    "eval_cmds",
)
_registered = False


def register_commands() -> None:
    global _registered
    if _registered:
        return
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    _registered = True


__all__ = ["app", "main", "register_commands", "run"]
