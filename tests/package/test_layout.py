"""Project layout rules that must hold at every commit."""

from __future__ import annotations

import ast

from tests.support.paths import ROOT


def test_tools_never_import_agent():
    offenders = []
    for path in (ROOT / "tools").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.split(".")[:2] == ["synthloop", "agent"]]
    assert offenders == []


def test_root_layout():
    for name in ("pyproject.toml", "README.md", "agent", "tools", "prompts", "tests", "evals"):
        assert (ROOT / name).exists(), name
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [ln.strip() for ln in ci if ln.strip() and not ln.startswith(("#", "set "))]
    assert commands == ["make test"]
    assert "    make test" in (ROOT / "README.md").read_text()
