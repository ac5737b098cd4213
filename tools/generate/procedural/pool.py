"""Worker processes for the procedural generator: render, encode and measure in parallel.

Workers receive plain data (jobs and the class table) and return PNG bytes with their
annotations and statistics, so only small messages cross process boundaries. Chunks are
submitted through a bounded window: the caller's spec stream is read lazily, in the
caller's thread, and never more than `window` chunks are in flight, so memory stays flat
however many specs there are.

Workers start through the 'forkserver' method: forking a process that runs threads (a
progress bar's refresh thread, SQLite) is unsafe, and 'spawn' would pay the imports again
for every worker.

Workers exit when the process that started the pool dies, even by kill -9: each blocks a
thread on a pipe whose only writer is that process, and exits at its end of file. (Left
alone they would wait on the task queue forever, re-parented to PID 1, and keep the
forkserver and the resource tracker alive with them: every worker holds their fds.)
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .png import encode_rgb_png
from .scene import ClassTable, Job, render_scene

# one rendered job: spec id, png, annotations, seconds, stats, error (None when fine)
Rendered = tuple[str, bytes, list, float, dict, str | None]


def render_chunk(table: ClassTable, jobs: list[Job], width: int, height: int,
                 compress_level: int, stats_keys: tuple[str, ...]) -> list[Rendered]:
    """Render, encode and measure each job; a job that raises is returned as an error so
    the rest of its chunk still counts."""
    out: list[Rendered] = []
    for job in jobs:
        t0 = time.perf_counter()
        try:
            img, anns = render_scene(job, table, width, height)
            stats = {}
            if stats_keys:
                from ...quality.stats import image_stats

                stats = image_stats(img, stats_keys)
            png = encode_rgb_png(np.asarray(img), compress_level)
            out.append((job.spec_id, png, anns, time.perf_counter() - t0, stats, None))
        except Exception as e:  # reported per spec, see SpecFailed in the generator
            out.append((job.spec_id, b"", [], 0.0, {}, f"{type(e).__name__}: {e}"))
    return out


def _exit_with_parent(lifeline) -> None:
    """Worker initializer: exit as soon as `lifeline` (the read end of a pipe the pool's
    owner holds the write end of) reaches end of file, i.e. when the owner is gone."""

    def watch() -> None:
        try:
            lifeline.recv()  # nothing is ever sent: this returns only by EOFError
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def default_workers() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class RenderPool:
    """A lazily started process pool with an ordered, bounded `imap`."""

    def __init__(self, workers: int):
        self.workers = workers
        self.completed = 0  # results delivered: 0 when a break means the workers never started
        self._executor: ProcessPoolExecutor | None = None
        self._lifeline: tuple | None = None  # (read end, write end) of the workers' pipe

    def _get(self) -> ProcessPoolExecutor:
        if self._executor is None:
            if "forkserver" in mp.get_all_start_methods():
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload([__name__])
            else:  # Windows
                ctx = mp.get_context("spawn")
            # the read end stays open here too: workers start lazily and get copies of it
            self._lifeline = ctx.Pipe(duplex=False)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                                 initializer=_exit_with_parent,
                                                 initargs=(self._lifeline[0],))
        return self._executor

    def imap(self, fn: Callable, arg_tuples: Iterable[tuple], window: int) -> Iterator:
        """Results of fn(*args) in input order, at most `window` calls in flight."""
        ex = self._get()
        pending: deque[Future] = deque()
        try:
            for args in arg_tuples:
                pending.append(ex.submit(fn, *args))
                if len(pending) >= window:
                    result = pending.popleft().result()
                    self.completed += 1
                    yield result
            while pending:
                result = pending.popleft().result()
                self.completed += 1
                yield result
        except BrokenProcessPool:
            self._executor = None  # a worker died (killed, out of memory): start afresh next time
            self._drop_lifeline()
            raise
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._drop_lifeline()

    def _drop_lifeline(self) -> None:
        if self._lifeline is not None:
            for end in self._lifeline:
                end.close()  # any worker still alive sees EOF and exits
            self._lifeline = None
