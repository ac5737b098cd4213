"""Typed reads and writes of the domain records (mixed into Workspace).

This module does not import workspace.py: the mixin declares the two things it needs from
the class it is mixed into (`conn` and `transaction()`), so the dependency runs one way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from ..errors import NotFound, ValidationError
from ..models import (
    CachedReply,
    DatasetVersion,
    GenerationSpec,
    LLMCall,
    LoopIteration,
    MisclassificationReport,
    Policy,
    Sample,
    SampleFlag,
    TrainRun,
)
from ..secrets import redact

Decision = Literal["approved", "rejected", "auto-approved"]
TABLES = ("policies", "reviews", "specs", "samples", "datasets", "train_runs", "reports",
          "iterations", "llm_calls", "sample_flags", "llm_replies")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _js(model) -> str:
    return model.model_dump_json()


IN_CHUNK = 500
"""Values bound per `IN (...)` query (SQLite caps a statement's bound parameters)."""


def _present(conn: sqlite3.Connection, table: str, column: str,
             values: Iterable[str]) -> set[str]:
    """The `values` that occur in `table.column`, asked IN_CHUNK at a time. `table` and
    `column` are this module's constants, never user input."""
    vals = list(values)
    found: set[str] = set()
    for i in range(0, len(vals), IN_CHUNK):
        chunk = vals[i:i + IN_CHUNK]
        q = f"SELECT {column} FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))})"
        found.update(r[0] for r in conn.execute(q, chunk))
    return found


class RecordsMixin:
    """Record methods over `conn`. The class this is mixed into (Workspace) provides `conn`
    and `transaction()`, one SQLite transaction per logical step."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
            ...

    # -- policies --------------------------------------------------------------------------
    def save_policy(self, policy: Policy, parent_version: int | None = None) -> Policy:
        """Store `policy` as a new version (never overwrites); returns it with `version` set."""
        with self.transaction() as c:
            (latest,) = c.execute("SELECT COALESCE(MAX(version), 0) FROM policies").fetchone()
            version = latest + 1
            if parent_version is None:
                parent_version = policy.parent_version if policy.version is None else policy.version
            stored = policy.model_copy(update={"version": version, "parent_version": parent_version})
            stored = Policy.model_validate(stored.model_dump())
            c.execute(
                "INSERT INTO policies (version, parent_version, hash, title, created_at, data) "
                "VALUES (?,?,?,?,?,?)",
                (version, parent_version, stored.content_hash(), stored.title, _now(), _js(stored)),
            )
            c.executemany(
                "INSERT INTO scenarios (policy_version, id, kind, data) VALUES (?,?,?,?)",
                [(version, s.id, s.kind, _js(s)) for s in stored.scenarios],
            )
        return stored

    def get_policy(self, version: int | None = None) -> Policy:
        if version is None:
            row = self.conn.execute("SELECT data FROM policies ORDER BY version DESC LIMIT 1").fetchone()
            if row is None:
                raise NotFound("the workspace has no policy yet", 'run: synthloop design "GOAL"')
        else:
            row = self.conn.execute("SELECT data FROM policies WHERE version=?", (version,)).fetchone()
            if row is None:
                raise NotFound(f"policy version {version} does not exist",
                               "see the versions with: synthloop status")
        return Policy.model_validate_json(row[0])

    def list_policies(self) -> list[tuple[int, int | None, str, str]]:
        """(version, parent_version, title, created_at) for every version, oldest first."""
        return self.conn.execute(
            "SELECT version, parent_version, title, created_at FROM policies ORDER BY version"
        ).fetchall()

    def record_review(self, version: int, decision: Decision, comment: str = "") -> None:
        self.get_policy(version)
        with self.transaction() as c:
            c.execute(
                "INSERT INTO reviews (policy_version, decision, comment, created_at) VALUES (?,?,?,?)",
                (version, decision, comment, _now()),
            )

    def review_status(self, version: int) -> tuple[str, str] | None:
        """The latest (decision, comment) for a policy version, or None if never reviewed."""
        row = self.conn.execute(
            "SELECT decision, comment FROM reviews WHERE policy_version=? ORDER BY id DESC LIMIT 1",
            (version,),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def is_approved(self, version: int) -> bool:
        st = self.review_status(version)
        return st is not None and st[0] in ("approved", "auto-approved")

    # -- specs -----------------------------------------------------------------------------
    def save_specs(self, specs: Iterable[GenerationSpec]) -> int:
        """Insert specs, skipping ids already stored; returns how many were new."""
        now = _now()
        rows = [(s.id, s.policy_version, s.scenario_id, s.split, s.iteration, now, _js(s))
                for s in specs]
        with self.transaction() as c:
            before = c.total_changes
            c.executemany(
                "INSERT OR IGNORE INTO specs (id, policy_version, scenario_id, split, iteration, "
                "created_at, data) VALUES (?,?,?,?,?,?,?)",
                rows,
            )
            return c.total_changes - before

    def get_spec(self, spec_id: str) -> GenerationSpec:
        row = self.conn.execute("SELECT data FROM specs WHERE id=?", (spec_id,)).fetchone()
        if row is None:
            raise NotFound(f"spec {spec_id} does not exist")
        return GenerationSpec.model_validate_json(row[0])

    def iter_specs(self, *, policy_version: int | None = None,
                   iteration: int | None = None, split: str | None = None,
                   without_sample: bool = False) -> Iterator[GenerationSpec]:
        q, args = "SELECT s.data FROM specs s WHERE 1=1", []
        if policy_version is not None:
            q += " AND s.policy_version=?"
            args.append(policy_version)
        if iteration is not None:
            q += " AND s.iteration=?"
            args.append(iteration)
        if split is not None:
            q += " AND s.split=?"
            args.append(split)
        if without_sample:
            q += " AND NOT EXISTS (SELECT 1 FROM samples m WHERE m.spec_id = s.id)"
        q += " ORDER BY s.created_at, s.id"
        for (data,) in self.conn.execute(q, args).fetchall():
            yield GenerationSpec.model_validate_json(data)

    def stored_spec_ids(self, spec_ids: Iterable[str]) -> set[str]:
        """The ids among `spec_ids` that are already stored as specs."""
        return _present(self.conn, "specs", "id", spec_ids)

    def spec_count(self, policy_version: int) -> int:
        """How many specs of `policy_version` are stored (with or without a sample)."""
        (n,) = self.conn.execute("SELECT COUNT(*) FROM specs WHERE policy_version=?",
                                 (policy_version,)).fetchone()
        return int(n)

    def spec_ids_with_samples(self, spec_ids: Iterable[str]) -> set[str]:
        return _present(self.conn, "samples", "spec_id", spec_ids)

    # -- samples ---------------------------------------------------------------------------
    def save_samples(self, samples: Iterable[Sample]) -> int:
        """Insert samples in one transaction, skipping ids (or spec ids) already stored."""
        now = _now()
        with self.transaction() as c:
            before = c.total_changes
            for s in samples:
                if s.created_at is None:
                    s = s.model_copy(update={"created_at": datetime.now(UTC)})
                c.execute(
                    "INSERT OR IGNORE INTO samples (id, spec_id, image, split, source, created_at, data) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (s.id, s.spec_id, s.image, s.split, s.source, now, _js(s)),
                )
            return c.total_changes - before

    def get_sample(self, sample_id: str) -> Sample:
        row = self.conn.execute("SELECT data FROM samples WHERE id=?", (sample_id,)).fetchone()
        if row is None:
            raise NotFound(f"sample {sample_id} does not exist")
        return Sample.model_validate_json(row[0])

    def get_samples(self, ids: Iterable[str]) -> list[Sample]:
        ids = list(ids)
        out: dict[str, Sample] = {}
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i:i + IN_CHUNK]
            q = f"SELECT id, data FROM samples WHERE id IN ({','.join('?' * len(chunk))})"
            for sid, data in self.conn.execute(q, chunk):
                out[sid] = Sample.model_validate_json(data)
        missing = [i for i in ids if i not in out]
        if missing:
            raise NotFound(f"{len(missing)} sample(s) missing, e.g. {missing[0]}")
        return [out[i] for i in ids]

    def stored_sample_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among `ids` that are already stored as samples."""
        return _present(self.conn, "samples", "id", ids)

    def iter_samples(self, *, split: str | None = None, source: str | None = None,
                     limit: int | None = None) -> Iterator[Sample]:
        """Samples oldest first, filtered by split and source; at most `limit` of them."""
        q, args = "SELECT data FROM samples WHERE 1=1", []
        if split is not None:
            q += " AND split=?"
            args.append(split)
        if source is not None:
            q += " AND source=?"
            args.append(source)
        q += " ORDER BY created_at, id"
        if limit is not None:
            q += " LIMIT ?"
            args.append(limit)
        for (data,) in self.conn.execute(q, args).fetchall():
            yield Sample.model_validate_json(data)

    def samples_of_policy(self, policy_version: int, *,
                          limit: int | None = None) -> list[Sample]:
        """Samples made from specs of `policy_version`, oldest first, at most `limit`.
        Samples without a spec (imported real images) belong to no version."""
        q = ("SELECT m.data FROM samples m JOIN specs s ON m.spec_id = s.id "
             "WHERE s.policy_version = ? ORDER BY m.created_at, m.id")
        args: list = [policy_version]
        if limit is not None:
            q += " LIMIT ?"
            args.append(limit)
        return [Sample.model_validate_json(r[0]) for r in self.conn.execute(q, args).fetchall()]

    # -- datasets, runs, reports, iterations ---------------------------------------------------
    def save_dataset(self, ds: DatasetVersion) -> DatasetVersion:
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO datasets (id, policy_version, created_at, data) "
                      "VALUES (?,?,?,?)", (ds.id, ds.policy_version, _now(), _js(ds)))
        return ds

    def get_dataset(self, ds_id: str | None = None) -> DatasetVersion:
        if ds_id is None:
            row = self.conn.execute("SELECT data FROM datasets ORDER BY created_at DESC, rowid DESC "
                                    "LIMIT 1").fetchone()
        else:
            row = self.conn.execute("SELECT data FROM datasets WHERE id=?", (ds_id,)).fetchone()
        if row is None:
            raise NotFound(f"dataset version {ds_id or '(latest)'} does not exist",
                           "make one with: synthloop generate")
        return DatasetVersion.model_validate_json(row[0])

    def save_train_run(self, run: TrainRun) -> TrainRun:
        """Insert or update a training run (its status and metrics change as it goes)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO train_runs (id, dataset_id, status, created_at, data) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET status=excluded.status, data=excluded.data",
                (run.id, run.dataset_id, run.status, _now(), _js(run)),
            )
        return run

    def get_train_run(self, run_id: str | None = None) -> TrainRun:
        if run_id is None:
            row = self.conn.execute("SELECT data FROM train_runs WHERE status='finished' "
                                    "ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
        else:
            row = self.conn.execute("SELECT data FROM train_runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"training run {run_id or '(latest finished)'} does not exist",
                           "train one with: synthloop train")
        return TrainRun.model_validate_json(row[0])

    def list_train_runs(self) -> list[TrainRun]:
        rows = self.conn.execute("SELECT data FROM train_runs ORDER BY created_at, rowid").fetchall()
        return [TrainRun.model_validate_json(r[0]) for r in rows]

    def save_report(self, report: MisclassificationReport) -> MisclassificationReport:
        if not report.id:
            report = report.model_copy(update={"id": report.content_hash()})
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO reports (id, train_run_id, created_at, data) "
                      "VALUES (?,?,?,?)", (report.id, report.train_run_id, _now(), _js(report)))
        return report

    def get_report(self, report_id: str | None = None) -> MisclassificationReport:
        if report_id is None:
            row = self.conn.execute("SELECT data FROM reports ORDER BY created_at DESC, rowid DESC "
                                    "LIMIT 1").fetchone()
        else:
            row = self.conn.execute("SELECT data FROM reports WHERE id=?", (report_id,)).fetchone()
        if row is None:
            raise NotFound(f"report {report_id or '(latest)'} does not exist",
                           "evaluate a model with: synthloop evaluate")
        return MisclassificationReport.model_validate_json(row[0])

    def list_reports(self) -> list[MisclassificationReport]:
        rows = self.conn.execute("SELECT data FROM reports ORDER BY created_at, rowid").fetchall()
        return [MisclassificationReport.model_validate_json(r[0]) for r in rows]

    def save_iteration(self, it: LoopIteration) -> LoopIteration:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO iterations (thread_id, number, created_at, data) "
                      "VALUES (?,?,?,?)", (it.thread_id, it.number, _now(), _js(it)))
        return it

    def list_iterations(self, thread_id: str | None = None) -> list[LoopIteration]:
        q, args = "SELECT data FROM iterations", []
        if thread_id is not None:
            q, args = q + " WHERE thread_id=?", [thread_id]
        rows = self.conn.execute(q + " ORDER BY thread_id, number", args).fetchall()
        return [LoopIteration.model_validate_json(r[0]) for r in rows]

    # -- LLM calls -------------------------------------------------------------------------
    def log_llm_call(self, call: LLMCall) -> int:
        """Record one LLM request; every text field is redacted of secrets first."""
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO llm_calls (created_at, template, endpoint, model, prompt, reply, parsed, "
                "error, prompt_tokens, completion_tokens, latency_s, cached, prompt_cached, "
                "prompt_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (_now(), call.template, redact(call.endpoint), call.model, redact(call.prompt),
                 redact(call.reply), redact(call.parsed), redact(call.error),
                 call.prompt_tokens, call.completion_tokens, call.latency_s, int(call.cached),
                 call.prompt_cached, call.prompt_s),
            )
            return int(cur.lastrowid)

    def list_llm_calls(self) -> list[LLMCall]:
        rows = self.conn.execute(
            "SELECT id, template, endpoint, model, prompt, reply, parsed, error, prompt_tokens, "
            "completion_tokens, latency_s, cached, prompt_cached, prompt_s, created_at "
            "FROM llm_calls ORDER BY id").fetchall()
        keys = ("id", "template", "endpoint", "model", "prompt", "reply", "parsed", "error",
                "prompt_tokens", "completion_tokens", "latency_s", "cached", "prompt_cached",
                "prompt_s", "created_at")
        return [LLMCall.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    def llm_usage(self) -> tuple[int, int, float]:
        """(prompt tokens, completion tokens, seconds waited) summed over every LLM call
        logged; zeros when there are none. A reply replayed from the cache adds nothing."""
        p, c, s = self.conn.execute(
            "SELECT COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0), "
            "COALESCE(SUM(latency_s),0) FROM llm_calls WHERE cached=0").fetchone()
        return int(p), int(c), float(s)

    def llm_cache_hits(self) -> int:
        """How many logged LLM calls were answered from the reply cache."""
        return int(self.conn.execute("SELECT COUNT(*) FROM llm_calls WHERE cached=1").fetchone()[0])

    # -- the LLM reply cache ----------------------------------------------------------
    def cached_llm_reply(self, key: str) -> CachedReply | None:
        """The reply stored under `key`, or None."""
        row = self.conn.execute(
            "SELECT key, model, template, reply, finish_reason, prompt_tokens, completion_tokens, "
            "created_at FROM llm_replies WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        keys = ("key", "model", "template", "reply", "finish_reason", "prompt_tokens",
                "completion_tokens", "created_at")
        return CachedReply.model_validate(dict(zip(keys, row, strict=True)))

    def save_llm_reply(self, reply: CachedReply) -> bool:
        """Keep `reply` for replay; the first reply stored under a key stays (a replay never
        overwrites what it replayed). Text is redacted of secrets like llm_calls' (callers
        do not store a reply that held one). Returns whether a row was added."""
        with self.transaction() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO llm_replies (key, model, template, reply, finish_reason, "
                "prompt_tokens, completion_tokens, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (reply.key, redact(reply.model), reply.template, redact(reply.reply),
                 reply.finish_reason, reply.prompt_tokens, reply.completion_tokens, _now()))
            return cur.rowcount > 0

    # -- label verification: quarantine, never deletion ---------------------------------
    def save_flags(self, flags: Iterable[SampleFlag]) -> int:
        """Store flags, one per (sample, verifier). A flag already released or confirmed
        by a person keeps that status (a re-run does not re-quarantine it)."""
        now = _now()
        n = 0
        with self.transaction() as c:
            for f in flags:
                row = c.execute("SELECT status, created_at FROM sample_flags WHERE sample_id=? "
                                "AND verifier=?", (f.sample_id, f.verifier)).fetchone()
                status, created = (row[0], row[1]) if row else (f.status, now)
                f = SampleFlag.model_validate(f.model_dump() | {
                    "status": status, "created_at": created, "updated_at": now,
                    "reason": redact(f.reason)})
                c.execute("INSERT OR REPLACE INTO sample_flags (sample_id, verifier, score, "
                          "reason, status, created_at, updated_at, data) VALUES (?,?,?,?,?,?,?,?)",
                          (f.sample_id, f.verifier, f.score, f.reason, status, created, now, _js(f)))
                n += 1
        return n

    def list_flags(self, *, status: str | None = None,
                   sample_id: str | None = None) -> list[SampleFlag]:
        q, args = "SELECT data, status, updated_at FROM sample_flags WHERE 1=1", []
        if status is not None:
            q, args = q + " AND status=?", [*args, status]
        if sample_id is not None:
            q, args = q + " AND sample_id=?", [*args, sample_id]
        rows = self.conn.execute(q + " ORDER BY sample_id, verifier", args).fetchall()
        return [SampleFlag.model_validate(SampleFlag.model_validate_json(d).model_dump()
                                          | {"status": s, "updated_at": u}) for d, s, u in rows]

    def quarantined_ids(self) -> set[str]:
        """Samples with at least one flag still quarantined or confirmed (left out of
        training), and none released by a person."""
        rows = self.conn.execute("SELECT sample_id, status FROM sample_flags").fetchall()
        out, released = set(), set()
        for sid, st in rows:
            (released if st == "released" else out).add(sid)
        return out - released

    def set_flag_status(self, sample_ids: Iterable[str], status: str, *,
                        verifier: str | None = None) -> int:
        """Release or confirm (or re-quarantine) the flags of these samples; returns how
        many flags changed. Unknown ids raise NotFound."""
        if status not in ("quarantined", "released", "confirmed"):
            raise ValidationError(f"unknown flag status {status!r}",
                                  "use quarantined, released or confirmed")
        ids = list(dict.fromkeys(sample_ids))
        have = _present(self.conn, "sample_flags", "sample_id", ids)
        missing = [i for i in ids if i not in have]
        if missing:
            raise NotFound(f"no flag for sample(s) {', '.join(missing[:5])}",
                           "list the flagged samples first")
        n = 0
        with self.transaction() as c:
            for sid in ids:
                q, args = "UPDATE sample_flags SET status=?, updated_at=? WHERE sample_id=?", \
                    [status, _now(), sid]
                if verifier is not None:
                    q, args = q + " AND verifier=?", [*args, verifier]
                n += c.execute(q, args).rowcount
        return n

    # -- overview --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}

    def sample_counts_by_split(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT COALESCE(split, '-'), COUNT(*) FROM samples GROUP BY 1")
        return dict(rows.fetchall())


__all__ = ["Decision", "RecordsMixin"]
