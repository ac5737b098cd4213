"""Modules that once imported each other stay one-way. Every import counts: module level,
inside a function, or under `if TYPE_CHECKING:`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

ONE_WAY = [  # (importer, imported): the second must not import the first back
    ("tools/design/review.py", "tools/design/review_html.py"),
    ("tools/store/workspace.py", "tools/store/records.py"),
]
PACKAGES = ("tools/store", "tools/design")  # no two modules of one of these import each other


def module_name(rel: str) -> str:
    """tools/store/records.py -> synthloop.tools.store.records"""
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["synthloop", *parts])


def imports(rel: str, root: Path = ROOT) -> set[str]:
    """Every module `rel` may import, relative imports resolved; `from a import b` counts
    as importing both a and a.b (b may be a submodule)."""
    path = root / rel
    package = module_name(rel).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            mod = ".".join([*base, *([node.module] if node.module else [])])
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def test_the_resolver_sees_function_level_and_type_checking_imports(tmp_path):
    pkg = tmp_path / "tools" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .b import B\n\ndef f():\n    from ..other import g\n"
                              "    import json\n")
    got = imports("tools/pkg/a.py", root=tmp_path)
    assert {"synthloop.tools.pkg.b", "synthloop.tools.other.g", "json"} <= got


@pytest.mark.parametrize(("importer", "imported"), ONE_WAY)
def test_one_way(importer, imported):
    assert module_name(imported) in imports(importer)  # the pair still means something
    assert module_name(importer) not in imports(imported), \
        f"{imported} imports {importer} back (move the shared piece into its own module)"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_two_modules_of_a_package_import_each_other(package):
    mods = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / package).glob("*.py")
                  if p.name != "__init__.py")
    deps = {m: imports(m) for m in mods}
    both = [f"{a} <-> {b}" for i, a in enumerate(mods) for b in mods[i + 1:]
            if module_name(b) in deps[a] and module_name(a) in deps[b]]
    assert both == []
