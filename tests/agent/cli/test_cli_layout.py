"""The CLI's layout: one module per top-level command or command group, named after it,
all registered from the one list in agent/cli/commands.py."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import synthloop.agent.cli as cli
from synthloop.agent.cli import app, commands, register_commands, run
from tests.support.paths import ROOT

CLI_DIR = Path(cli.__file__).parent
README = ROOT / "README.md"


def _registered():
    register_commands()
    register_commands()  # idempotent: nothing is added twice
    cmds = [(c.name, c.callback) for c in app.registered_commands]
    groups = [(g.name, g.typer_instance) for g in app.registered_groups]
    return cmds, groups


def test_registration_is_idempotent_and_matches_the_list():
    cmds, groups = _registered()
    assert [n for n, _ in cmds] == [n for n, _ in commands.COMMANDS]
    assert [n for n, _ in groups] == [n for n, _ in commands.GROUPS]
    names = [n for n, _ in cmds + groups]
    assert len(names) == len(set(names))


def test_each_command_and_group_lives_in_a_module_named_after_it():
    cmds, groups = _registered()
    for name, fn in cmds:
        assert fn.__module__ == f"synthloop.agent.cli.{name.replace('-', '_')}", name
    for name, group in groups:
        mod = importlib.import_module(f"synthloop.agent.cli.{name.replace('-', '_')}")
        assert getattr(mod, "group", None) is group, name


def _modules():
    return [m.name for m in pkgutil.iter_modules([str(CLI_DIR)])]


def test_no_cmds_modules_remain():
    assert not [m for m in _modules() if m.endswith("_cmds")]


def test_every_module_that_defines_a_command_is_registered():
    registered = {n.replace("-", "_") for n, _ in commands.COMMANDS + commands.GROUPS}
    modules = set(_modules())
    assert registered <= modules
    for name in sorted(modules - {"app"}):  # app.py: the app and its global options
        tree = ast.parse((CLI_DIR / f"{name}.py").read_text())
        # a command takes typer.Option/Argument parameters; a group is a typer.Typer
        defines = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and n.func.attr in ("Option", "Argument", "Typer", "command", "add_typer")
                      for n in ast.walk(tree))
        if defines and name != "commands":
            assert name in registered, f"{name}.py defines a command but is not in the list"
    # the modules that are not commands hold shared helpers only
    assert modules - registered == {"app", "commands", "loop_view"}


def test_help_lists_every_command_and_the_readme_names_them(capsys):
    cmds, groups = _registered()
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    using = README.read_text().split("## Using it", 1)[1].split("\n## ", 1)[0]
    words = set(re.findall(r"[a-z][a-z-]*", using))
    for name, _ in cmds + groups:
        assert re.search(rf"│ {re.escape(name)}\s", out), name
        if name != "demo":  # the demo has its own README section
            assert name in words, name
