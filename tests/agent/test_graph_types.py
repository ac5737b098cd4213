"""Types do not stop at the graph boundary: every node takes the typed LoopState, the graph
declares input, output and context schemas, and history rows are one pydantic model."""

from __future__ import annotations

import inspect
import typing

import pytest
from pydantic import ValidationError

from synthloop.agent.graph import builder, compile_graph
from synthloop.agent.state import HistoryRow, LoopOutput, LoopState, history_rows


def _node_functions():
    for name, spec in builder.nodes.items():
        fn = getattr(spec.runnable, "func", None) or getattr(spec.runnable, "afunc", None)
        yield name, inspect.unwrap(fn)


def test_every_node_takes_the_typed_state():
    seen = 0
    for name, fn in _node_functions():
        if fn.__module__.startswith("synthloop.agent.cancel"):
            continue  # the cancellable wrapper; its node is checked through the graph module
        hints = typing.get_type_hints(fn)
        first = next(iter(inspect.signature(fn).parameters))
        assert hints[first] is LoopState, f"node {name} takes {hints[first]}"
        seen += 1
    assert seen >= 10


def test_the_graph_declares_its_output():
    schema = compile_graph().get_output_jsonschema()
    assert set(schema["properties"]) == set(LoopOutput.__annotations__)
    assert {"history", "stop_reason", "report_page"} <= set(schema["properties"])


def test_history_rows_are_typed_and_strict():
    row = dict(iteration=1, images_added=100, train_images=300, report_id="r1",
               plan_source="llm", overall_name="map50", overall=0.5, worst_class="vest",
               worst_class_recall=0.4, worst_slice="lighting=night × vest",
               worst_slice_recall=0.2, worst5_slice_recall=0.3, top_slice="lighting=night × vest",
               top_slice_recall=0.2)
    later = {**row, "iteration": 0, "plan_source": "initial set"}
    rows = history_rows({"history": [row, later]})
    assert [r.iteration for r in rows] == [0, 1] and isinstance(rows[0], HistoryRow)
    with pytest.raises(ValidationError):
        HistoryRow.model_validate({**row, "worst_clas": "typo"})
