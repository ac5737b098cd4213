"""The one list of the CLI's commands: each top-level command and each command group lives
in a module named after it (hyphens as underscores), and is registered here, in the order
`synthloop --help` lists them. Plain imports: a missing module is an ImportError, never a
silently missing command."""

from __future__ import annotations

from . import (
    augment,
    chat,
    check,
    config,
    dataset,
    demo,
    design,
    evaluate,
    export,
    generate,
    import_real,
    init,
    llm,
    policy,
    quarantine,
    report,
    resume,
    review,
    runs,
    serve,
    status,
    train,
    verify,
)
from .app import app
from .eval import group as eval_group
from .run import run as run_command  # by path: the package's `run` is the entry function

# top-level commands, as (name, function)
COMMANDS = [
    ("init", init.init),
    ("status", status.status),
    ("check", check.check),
    ("design", design.design),
    ("review", review.review),
    ("generate", generate.generate),
    ("export", export.export),
    ("augment", augment.augment),
    ("import-real", import_real.import_real),
    ("verify", verify.verify),
    ("train", train.train),
    ("evaluate", evaluate.evaluate),
    ("report", report.report),
    ("run", run_command),
    ("resume", resume.resume),
    ("runs", runs.runs),
    ("demo", demo.demo),
    ("chat", chat.chat),
    ("serve", serve.serve),
]
# command groups, as (name, typer app with the group's subcommands)
GROUPS = [
    ("config", config.group),
    ("llm", llm.group),
    ("policy", policy.group),
    ("dataset", dataset.group),
    ("quarantine", quarantine.group),
    ("eval", eval_group),
]
_registered = False


def register_commands() -> None:
    """Register COMMANDS and GROUPS on the app, once."""
    global _registered
    if _registered:
        return
    for name, fn in COMMANDS:
        app.command(name)(fn)
    for name, group in GROUPS:
        app.add_typer(group, name=name)
    _registered = True
