"""The tests' own layout: every test folder mirrors a package folder (tests/tools/text tests
tools/text, installed as synthloop.tools.text), and no test module imports another one;
what tests share lives in tests/support."""

from __future__ import annotations

import ast

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
NOT_MIRRORS = {"support", "package", "__pycache__"}  # top-level folders that mirror nothing
PACKAGE_ROOTS = ("agent", "tools", "prompts", "evals")  # installed as synthloop.<name>


def _test_folders():
    for path in sorted(TESTS.rglob("*")):
        rel = path.relative_to(TESTS)
        if (path.is_dir() and rel.parts[0] not in NOT_MIRRORS and "__pycache__" not in rel.parts
                and not any(p.startswith(".") for p in rel.parts)):
            yield rel


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def _test_module_imports(tree: ast.AST) -> list[str]:
    """The statements of `tree` that import a test_* module, as `import x` or `from x import
    y` (relative imports keep their dots)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _is_test_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names = [a.name for a in node.names]
            if _is_test_module(module) or any(_is_test_module(n) for n in names):
                found.append(f"from {module} import {', '.join(names)}")
    return found


def test_every_test_folder_mirrors_a_package_folder():
    folders = list(_test_folders())
    assert folders, "no test folders found"
    offenders = []
    for rel in folders:
        package = ROOT / rel
        if rel.parts[0] not in PACKAGE_ROOTS or not (package / "__init__.py").is_file():
            offenders.append(f"tests/{rel.as_posix()} (no package {rel.as_posix()}/)")
    assert offenders == [], ("test folders must mirror a package folder (or live under "
                             f"tests/support or tests/package): {offenders}")


def test_no_test_module_imports_another_test_module():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        offenders += [f"{path.relative_to(ROOT).as_posix()}: {stmt}"
                      for stmt in _test_module_imports(tree)]
    assert offenders == [], f"move what tests share into tests/support: {offenders}"


def test_the_check_sees_an_import_of_a_test_module():
    tree = ast.parse("from .test_draft import AXES\nfrom tests.x import test_y\n"
                     "import tests.tools.test_offline\nfrom tests.support import factories\n")
    assert sorted(_test_module_imports(tree)) == [
        "from .test_draft import AXES", "from tests.x import test_y",
        "import tests.tools.test_offline"]
