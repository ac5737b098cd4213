"""A run cancelled by the server that drives it (asyncio task cancelled) stops the work of
its sync node, which runs in a thread the cancellation never reaches by itself."""

from __future__ import annotations

import asyncio
import threading
import time

from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict

from synthloop.agent.cancel import RunCancelled, StopChecked, cancellable, stop_requested


class S(TypedDict, total=False):
    n: int


def test_cancelling_the_task_stops_the_node_thread():
    started, ended = threading.Event(), []

    def work(state, runtime):
        started.set()
        steps = 0
        try:
            for _ in StopChecked(range(10_000)):  # raises RunCancelled once cancelled
                steps += 1
                time.sleep(0.01)
        except RunCancelled:
            ended.append(("cancelled", steps, stop_requested()))
            raise
        ended.append(("finished", steps, False))
        return {"n": steps}

    g = StateGraph(S).add_node("work", cancellable(work)).add_edge(START, "work").compile()

    async def main():
        task = asyncio.create_task(g.ainvoke({"n": 0}))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        await asyncio.sleep(0.2)
        t0 = time.monotonic()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return time.monotonic() - t0

    waited = asyncio.run(main())
    assert ended and ended[0][0] == "cancelled" and ended[0][2] is True
    assert 0 < ended[0][1] < 10_000 and waited < 5


def test_the_sync_form_runs_the_node_as_before():
    def work(state, runtime):
        assert not stop_requested()
        return {"n": len(StopChecked([1, 2, 3])) + sum(StopChecked([1, 2, 3]))}

    g = StateGraph(S).add_node("work", cancellable(work)).add_edge(START, "work").compile()
    assert g.invoke({"n": 0}) == {"n": 9}
