"""One distribution, one import name: agent/, tools/, prompts/ and evals/ install as
synthloop.agent, synthloop.tools, synthloop.prompts and synthloop.evals."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import ROOT

FOLDERS = {"agent": "synthloop.agent", "tools": "synthloop.tools",
           "prompts": "synthloop.prompts", "evals": "synthloop.evals"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_every_package_folder_is_listed_and_mapped():
    tool = _pyproject()["tool"]["setuptools"]
    assert tool["package-dir"] == {v: k for k, v in FOLDERS.items()}
    found = sorted(f"{FOLDERS[init.relative_to(ROOT).parts[0]]}"
                   + "".join(f".{p}" for p in init.parent.relative_to(ROOT).parts[1:])
                   for folder in FOLDERS for init in (ROOT / folder).rglob("__init__.py"))
    assert sorted(tool["packages"]) == found


def test_no_code_imports_the_old_top_level_names():
    offenders = []
    for folder in (*FOLDERS, "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in _imports(path)
                          if n.split(".")[0] in FOLDERS]
    assert offenders == []


def test_importing_synthloop_leaves_the_environment_alone():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "YOLO_", "TRANSFORMERS_", "NO_ALBUMENTATIONS"))}
    code = ("import os, synthloop.tools, synthloop.agent, synthloop.prompts; "
            "print(os.environ.get('HF_HUB_OFFLINE'))")
    p = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT.parent,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "None"


def _wheel(src: Path, out: Path) -> Path:
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                        str(src)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    return wheel


def _dummy_tools_wheel(tmp: Path) -> Path:
    """Another distribution that ships a top-level `tools` package (a common name)."""
    src = tmp / "dummy-src"
    (src / "tools").mkdir(parents=True)
    (src / "tools" / "__init__.py").write_text("DUMMY = 'not synthloop'\n")
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "dummy-tools"\nversion = "1.0"\n'
        '[tool.setuptools]\npackages = ["tools"]\n')
    return _wheel(src, tmp / "dummy-dist")


@pytest.mark.slow
def test_wheel_installs_beside_another_top_level_tools(tmp_path):
    wheel = _wheel(ROOT, tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    code = [n for n in names if ".dist-info/" not in n]
    assert code and all(n.startswith("synthloop/") for n in code), sorted(code)[:5]
    for t in (ROOT / "prompts").glob("*.md"):
        assert f"synthloop/prompts/{t.name}" in names
    for ex in (ROOT / "tools" / "design" / "examples").glob("*.yaml"):
        assert f"synthloop/tools/design/examples/{ex.name}" in names
    assert "synthloop/evals/loop_efficacy.py" in names
    assert not any("tiny_pipelines" in n or "/_test_" in n or "/results/" in n for n in names)

    dummy = _dummy_tools_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    vpy = venv / "bin" / "python"
    site = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies (torch, ultralytics ...) come from this venv's site-packages, as a
    # plain path: its .pth files (the editable install of this checkout) are not processed
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    p = subprocess.run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "-q",
                        "--no-deps", "--no-index", str(wheel), str(dummy)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]

    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONPATH" and not k.startswith(("HF_", "YOLO_", "TRANSFORMERS_"))}
    env["HOME"] = str(tmp_path / "home")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)

    probe = run(str(vpy), "-c", "import os, tools, synthloop.tools, synthloop.agent.cli; "
                "print(tools.DUMMY); print(synthloop.tools.__file__); "
                "print(os.environ.get('HF_HUB_OFFLINE'))")
    assert probe.returncode == 0, probe.stderr[-2000:]
    dummy_says, synthloop_file, hub_offline = probe.stdout.strip().splitlines()
    assert dummy_says == "not synthloop"  # the other distribution's `tools` is untouched
    assert synthloop_file.startswith(str(venv))  # ours comes from the wheel, not the checkout
    assert hub_offline == "None"  # importing synthloop set nothing
    for args in (["--help"], ["eval", "--help"], ["eval", "efficacy", "--help"]):
        p = run(str(venv / "bin" / "synthloop"), *args)
        assert p.returncode == 0, (args, p.stdout[-1500:], p.stderr[-1500:])
    assert "efficacy" in run(str(venv / "bin" / "synthloop"), "eval", "--help").stdout
