"""Project layout rules that must hold at every commit."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
                          if n == "agent" or n.startswith("agent.")]
    assert offenders == []


def test_root_layout():
    for name in ("pyproject.toml", "README.md", "agent", "tools", "prompts", "tests", "evals"):
        assert (ROOT / name).exists(), name
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [ln.strip() for ln in ci if ln.strip() and not ln.startswith(("#", "set "))]
    assert commands == ["make test"]
    assert "    make test" in (ROOT / "README.md").read_text()


@pytest.mark.slow
def test_wheel_ships_prompt_templates(tmp_path):
    templates = sorted(p.name for p in (ROOT / "prompts").glob("*.md"))
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                        str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    (wheel,) = tmp_path.glob("synthloop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "prompts/__init__.py" in names and "agent/cli/app.py" in names
    for t in templates:
        assert f"prompts/{t}" in names
    for ex in (ROOT / "tools" / "design" / "examples").glob("*.yaml"):
        assert f"tools/design/examples/{ex.name}" in names
    assert not any(n.startswith("tests/") for n in names)
