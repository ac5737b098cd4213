"""Every `>>>` example in the library runs (the same as `pytest --doctest-modules`, but by
the installed names, so modules are not imported twice as `tools.*` and `synthloop.tools.*`).
Examples that need a real workspace, model or endpoint are written as plain indented code
(no prompt), so nothing here pretends to be checked when it is not."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import synthloop.agent
import synthloop.prompts
import synthloop.tools

SKIP = {"synthloop.agent.studio"}  # compiles a second graph at import: covered by its tests


def _modules() -> list[str]:
    names = []
    for pkg in (synthloop.agent, synthloop.tools, synthloop.prompts):
        names.append(pkg.__name__)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
            if info.name not in SKIP:
                names.append(info.name)
    return names


MODULES = _modules()


def _examples(name: str):
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder(exclude_empty=True).find(module, name)
            if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_each_module_run(name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _examples(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed (see above)"


def test_there_are_examples_to_run():
    assert sum(len(t.examples) for n in MODULES for t in _examples(n)) >= 20
