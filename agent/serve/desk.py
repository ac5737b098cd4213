"""The desk: one per app. It opens the workspace for each request through the composition
root (read-only for pages, for writing only while a form's change is stored, so that a
`synthloop run` in a terminal is not locked out by an open browser tab), and runs the
background jobs: a run resumed after a decision, and preview images for a scenario.

A resumed run holds the workspace for writing while it runs, exactly as
`synthloop resume` does; the resume goes through `agent.runner.resume_run`, the same call
the CLI makes, so what happens after an approval is what happens on a terminal.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console

from ..services import Services, open_services

if TYPE_CHECKING:
    from ..llm import BaseLLM

log = logging.getLogger("synthloop.serve")
JobState = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    """A background task a page shows the progress of (polled as JSON)."""

    id: str
    kind: str
    title: str
    total: int = 0
    done: int = 0
    state: JobState = "queued"
    message: str = ""
    error: str = ""
    thread_id: str | None = None
    started: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "total": self.total,
                "done": self.done, "state": self.state, "message": self.message,
                "error": self.error, "thread_id": self.thread_id,
                "elapsed_s": round(time.time() - self.started, 1)}


class Desk:
    """The workspace at `root`, its LLM (`llm` replaces the configured one: tests pass a
    ScriptedLLM) and the jobs started from its pages."""

    def __init__(self, root: str | Path, *, llm: BaseLLM | None = None):
        self.root = Path(root).expanduser().resolve()
        self.llm = llm
        self._jobs: dict[str, Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._mutex = threading.Lock()
        self._writer = threading.Lock()  # one resumed run at a time, like one terminal
        with self.read():  # a missing or foreign folder fails here, at start
            pass

    # -- the workspace -------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Services]:
        """The workspace opened read-only (what every page reads)."""
        sv = open_services(self.root, write=False)
        try:
            yield sv
        finally:
            sv.close()

    @contextmanager
    def write(self) -> Iterator[Services]:
        """The workspace opened for writing: WorkspaceLocked while another process (a run
        in a terminal) holds it."""
        sv = open_services(self.root, write=True, llm=self.llm)
        try:
            yield sv
        finally:
            sv.close()

    # -- jobs ------------------------------------------------------------------------------
    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self, *, kind: str | None = None) -> list[Job]:
        with self._mutex:
            return [j for j in self._jobs.values() if kind is None or j.kind == kind]

    def active_job(self, kind: str, key: str) -> Job | None:
        """The queued or running job of `kind` for `key` (a thread id, a scenario)."""
        return next((j for j in self.jobs(kind=kind)
                     if j.thread_id == key and j.state in ("queued", "running")), None)

    def start(self, kind: str, title: str, work: Callable[[Job], str], *,
              key: str | None = None, total: int = 0) -> Job:
        """Run `work(job)` in a thread; its return value becomes the job's message, an
        exception its error. A job of the same kind and key already going is returned
        instead of starting a second one."""
        with self._mutex:
            same = next((j for j in self._jobs.values() if j.kind == kind and j.thread_id == key
                         and j.state in ("queued", "running")), None)
            if same is not None:
                return same
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, title=title, total=total,
                      thread_id=key)
            self._jobs[job.id] = job
        t = threading.Thread(target=self._run, args=(job, work), daemon=True,
                             name=f"desk-{kind}-{job.id}")
        self._threads[job.id] = t
        t.start()
        return job

    def _run(self, job: Job, work: Callable[[Job], str]) -> None:
        job.state = "running"
        try:
            job.message = work(job) or ""
            job.state = "done"
        except BaseException as e:  # a job's failure is shown on its page, never raised
            from synthloop.tools.errors import SynthloopError

            job.error = e.one_line() if isinstance(e, SynthloopError) else \
                f"internal error: {type(e).__name__}: {e} (the traceback is in the log file)"
            if not isinstance(e, SynthloopError):
                log.exception("job %s (%s) failed", job.id, job.kind)
            job.state = "failed"

    def wait(self, timeout: float = 600.0) -> bool:
        """Wait for every job started so far; True when all ended within `timeout`."""
        end = time.time() + timeout
        for t in list(self._threads.values()):
            t.join(max(0.0, end - time.time()))
        return not any(t.is_alive() for t in self._threads.values())

    # -- the run resumed after a decision ------------------------------------------------
    def resume(self, thread_id: str, answer: dict[str, Any], title: str) -> Job:
        """Resume the paused run `thread_id` with a review `answer` in the background,
        through the same `resume_run` the CLI's `resume --approve/--reject/--edit` calls."""
        def work(job: Job) -> str:
            from ..runner import resume_run, run_info

            with self._writer, self.write() as sv:
                ws = sv.workspace
                if not run_info(ws, thread_id)["paused"]:
                    from synthloop.tools.errors import ValidationError

                    raise ValidationError(f"run {thread_id} is not waiting for a review",
                                          "reload the run's page to see where it stands")
                ctx = sv.loop_context(console=Console(quiet=True), progress=False)
                out = resume_run(ws, ctx, thread_id, answer=answer,
                                 on_update=lambda node, _u: _note(job, node))
            if out.paused is not None:
                return f"paused again for the review of policy v{out.paused['policy_version']}"
            return f"finished: {out.state.get('stop_reason') or 'done'}"
        return self.start("resume", title, work, key=thread_id)


def _note(job: Job, node: str) -> None:
    job.done += 1
    job.message = f"ran {node}"
