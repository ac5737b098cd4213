"""Did the loop's weakness analysis flag the world's control slice as data-insensitive?

Isolated here so it can follow the analysis as it evolves. Two sources, in this order:

1. an analysis stored in the loop state: `state["analysis"]` or `state["plan"]["analysis"]`,
   each a mapping (or object) with an
   `insensitive` list whose items are keys ("distance=extreme_far") or have a `key`;
2. otherwise `synthloop.tools.analysis.analyse_weakness(report, policy, history=...)` on
   the run's final report, its policy and the state's `weakness_history` points of earlier
   iterations; its result has `.insensitive`, a list of candidates with `.key`.

`flagged_in(analysis, key)` answers the same for one stored analysis (e.g. an iteration
record's `analysis`), for the per-iteration flags in the JSON.

Without either (no stored analysis and no `synthloop.tools.analysis`), the flag is None:
not measured, which the verdict reports as such, never as a pass.
"""

from __future__ import annotations

import importlib
from typing import Any

THREAD = "bench"


def control_flagged(run_state_or_workspace: Any, control_key: str, *,
                    workspace: Any = None) -> bool | None:
    """True/False: whether the analysis listed `control_key` among the data-insensitive
    slices of the run; None when it could not be told. Accepts the run's final loop state
    (a dict; pass `workspace` so the analysis can be run on its report) or the run's
    Workspace (its checkpointed state is read)."""
    return control_flag(run_state_or_workspace, control_key, workspace=workspace)[0]


def control_flag(source: Any, control_key: str, *, workspace: Any = None
                 ) -> tuple[bool | None, str]:
    """`control_flagged` with a note saying where the answer came from (or why none)."""
    if not control_key:
        return None, "no control slice"
    state, ws = (source, workspace) if isinstance(source, dict) else (None, source)
    if state is None and ws is not None:
        state = _checkpointed_state(ws)
    state = state or {}
    stored = _stored_insensitive(state)
    if stored is not None:
        return control_key in stored, "analysis stored in the loop state"
    try:
        analysis = importlib.import_module("synthloop.tools.analysis")
    except ImportError:
        return None, "synthloop.tools.analysis is not available"
    fn = getattr(analysis, "analyse_weakness", None)
    if fn is None or ws is None or not state.get("report_id"):
        return None, "no analyse_weakness, workspace or report to analyse"
    try:
        points = state.get("weakness_history") or []
        point_model = getattr(analysis, "HistoryPoint", None)
        if point_model is not None:
            now = state.get("iteration", 10**9)
            points = [point_model.model_validate(p) for p in points if p.get("iteration", -1) < now]
        result = fn(ws.get_report(state["report_id"]), ws.get_policy(state.get("policy_version")),
                    history=points)
    except Exception as e:  # the benchmark records the failure instead of stopping
        return None, f"analyse_weakness failed: {type(e).__name__}: {e}"
    keys = _keys(getattr(result, "insensitive", None))
    if keys is None:
        return None, "analyse_weakness returned no 'insensitive' list"
    return control_key in keys, "analyse_weakness on the final report"


def flagged_in(analysis: Any, control_key: str) -> bool | None:
    """Whether one stored analysis (a mapping or object with `insensitive`) lists the
    control; None when there is no such analysis."""
    if not analysis:
        return None
    items = analysis.get("insensitive") if isinstance(analysis, dict) else \
        getattr(analysis, "insensitive", None)
    keys = _keys(items)
    return None if keys is None else control_key in keys


def _checkpointed_state(ws) -> dict[str, Any] | None:
    from synthloop.agent.graph import compile_graph
    from synthloop.agent.runner import checkpointer

    with checkpointer(ws) as saver:
        snap = compile_graph(saver).get_state({"configurable": {"thread_id": THREAD}})
    return dict(snap.values) if snap and snap.values else None


def _stored_insensitive(state: dict[str, Any]) -> set[str] | None:
    for holder in (state.get("analysis"), (state.get("plan") or {}).get("analysis")):
        if holder is None:
            continue
        items = holder.get("insensitive") if isinstance(holder, dict) else \
            getattr(holder, "insensitive", None)
        keys = _keys(items)
        if keys is not None:
            return keys
    return None


def _keys(items: Any) -> set[str] | None:
    if items is None:
        return None
    out = set()
    for it in items:
        key = it if isinstance(it, str) else (it.get("key") if isinstance(it, dict)
                                              else getattr(it, "key", None))
        if key:
            out.add(str(key))
    return out
