"""The workspace store: round trips, atomic steps, versions, migrations."""

from __future__ import annotations

import sqlite3

import pytest

from synthloop.tools.errors import NotFound, WorkspaceError
from synthloop.tools.models import LLMCall, LoopIteration
from synthloop.tools.store import SCHEMA_VERSION, Workspace, records
from tests.support.factories import (
    hard_hat_policy,
    make_dataset,
    make_report,
    make_run,
    make_spec,
    sample_for_spec,
)


def _files(ws: Workspace) -> list[str]:
    return sorted(str(p.relative_to(ws.root)) for p in (ws.root / "files").rglob("*") if p.is_file())


def test_round_trips_every_record(ws):
    policy = ws.save_policy(hard_hat_policy())
    assert policy.version == 1 and ws.get_policy(1) == policy
    spec = make_spec(policy_version=1)
    assert ws.save_specs([spec]) == 1
    assert ws.get_spec(spec.id) == spec
    image = ws.put_bytes(b"\x89PNG fake image bytes", "png")
    sample = sample_for_spec(spec, image)
    assert ws.save_samples([sample]) == 1
    got = ws.get_sample(sample.id)
    assert got.model_dump(exclude={"created_at"}) == sample.model_dump(exclude={"created_at"})
    assert ws.path(got.image).read_bytes() == b"\x89PNG fake image bytes"
    ds = ws.save_dataset(make_dataset([sample.id]))
    assert ws.get_dataset(ds.id) == ds
    run = ws.save_train_run(make_run(ds.id))
    assert ws.get_train_run(run.id) == run
    run2 = ws.save_train_run(run.model_copy(update={"status": "finished", "wall_time_s": 3.5}))
    assert ws.get_train_run(run.id).status == "finished" and len(ws.list_train_runs()) == 1
    assert ws.get_train_run() == run2
    rep = ws.save_report(make_report(run.id))
    assert rep.id and ws.get_report(rep.id) == rep
    it = ws.save_iteration(LoopIteration(thread_id="t1", number=0, report_id=rep.id,
                                         metrics={"map50": 0.5}))
    assert ws.list_iterations("t1") == [it]
    call_id = ws.log_llm_call(LLMCall(template="draft_policy", endpoint="embedded", model="qwen",
                                      prompt="[]", reply="{}", prompt_tokens=10,
                                      completion_tokens=5, latency_s=0.2))
    (call,) = ws.list_llm_calls()
    assert call.id == call_id and call.prompt_tokens == 10 and call.template == "draft_policy"


def test_idempotent_inserts(ws):
    spec = make_spec()
    assert ws.save_specs([spec, spec]) == 1
    assert ws.save_specs([spec]) == 0
    img = ws.put_bytes(b"abc", "png")
    assert ws.put_bytes(b"abc", "png") == img
    s = sample_for_spec(spec, img)
    assert ws.save_samples([s]) == 1
    assert ws.save_samples([s.model_copy(update={"id": "other-id"})]) == 0  # same spec
    assert ws.spec_ids_with_samples([spec.id, "nope"]) == {spec.id}
    assert list(ws.iter_specs(without_sample=True)) == []


def test_killed_step_leaves_no_rows_and_no_orphan_files(ws):
    spec = make_spec()
    before = _files(ws)
    with pytest.raises(RuntimeError, match="boom"):
        with ws.transaction():
            ws.save_specs([spec])  # nested transaction joins the outer one
            img = ws.put_bytes(b"new image bytes", "png")
            ws.save_samples([sample_for_spec(spec, img)])
            assert ws.path(img).exists()
            raise RuntimeError("boom")
    assert ws.counts()["specs"] == 0 and ws.counts()["samples"] == 0
    assert _files(ws) == before
    assert not list((ws.root / "files").rglob(".tmp-*"))


def test_failed_step_keeps_files_that_existed_before(ws):
    old = ws.put_bytes(b"kept", "png")
    with pytest.raises(RuntimeError):
        with ws.transaction():
            assert ws.put_bytes(b"kept", "png") == old
            raise RuntimeError
    assert ws.path(old).exists()


def test_policy_versions_never_overwrite(ws):
    v1 = ws.save_policy(hard_hat_policy())
    v2 = ws.save_policy(v1.model_copy(update={"title": "Edited"}))
    assert (v2.version, v2.parent_version) == (2, 1)
    assert ws.get_policy(1).title == "Hard hats on site"
    assert ws.get_policy().title == "Edited"
    assert [r[0] for r in ws.list_policies()] == [1, 2]
    assert ws.review_status(2) is None and not ws.is_approved(2)
    ws.record_review(2, "rejected", "add a vest")
    ws.record_review(2, "approved")
    assert ws.is_approved(2) and not ws.is_approved(1)
    with pytest.raises(NotFound, match="version 9"):
        ws.get_policy(9)


def test_migration_refuses_a_newer_schema(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    ws.close()
    con = sqlite3.connect(tmp_path / "w" / "synthloop.db")
    con.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    con.commit()
    con.close()
    for write in (True, False):
        with pytest.raises(WorkspaceError, match="newer than this synthloop"):
            Workspace.open(tmp_path / "w", write=write)
    # and nothing was changed by the refusal
    con = sqlite3.connect(tmp_path / "w" / "synthloop.db")
    assert con.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION + 1)


def test_database_is_wal(ws):
    assert ws.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_paths_cannot_escape_the_workspace(ws):
    with pytest.raises(NotFound, match="outside the workspace"):
        ws.path("../../etc/passwd")


def test_init_refuses_a_non_empty_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("precious")
    with pytest.raises(WorkspaceError, match="not empty"):
        Workspace.init(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "precious"
    assert not (tmp_path / "mine" / "synthloop.db").exists()


def test_read_only_workspace_refuses_writes(tmp_path):
    Workspace.init(tmp_path / "w").close()
    with Workspace.open(tmp_path / "w") as ro:
        with pytest.raises(WorkspaceError, match="read-only"):
            ro.save_policy(hard_hat_policy())


def test_stored_ids_answer_across_in_chunks(ws, monkeypatch):
    specs = [make_spec(seed=i) for i in range(3)]
    ws.save_specs(specs)
    ws.save_samples([sample_for_spec(s, ws.put_bytes(f"img {s.id}".encode(), "png")) for s in specs])
    monkeypatch.setattr(records, "IN_CHUNK", 2)  # the known ids fall in three chunks
    asked = [specs[0].id, "x", "y", specs[1].id, "z", specs[2].id, specs[0].id]
    assert ws.stored_spec_ids(asked) == {s.id for s in specs}
    assert ws.stored_spec_ids(iter(["x", "y"])) == set() and ws.stored_spec_ids([]) == set()
    sample_ids = [f"s-{s.id}" for s in specs]
    assert ws.stored_sample_ids(["x", *sample_ids, "y"]) == set(sample_ids)
    assert ws.stored_sample_ids(s.id for s in specs) == set()  # spec ids are not sample ids
    assert ws.spec_ids_with_samples([specs[2].id, "x", "y"]) == {specs[2].id}


def test_spec_count_is_per_policy_version(ws):
    assert ws.spec_count(1) == 0
    ws.save_specs([make_spec(seed=i) for i in range(4)] + [make_spec(seed=9, policy_version=2)])
    assert (ws.spec_count(1), ws.spec_count(2), ws.spec_count(3)) == (4, 1, 0)


def test_samples_of_policy_and_sample_limits(ws):
    v1 = [make_spec(seed=i) for i in range(3)]
    v2 = make_spec(seed=7, policy_version=2)
    ws.save_specs([*v1, v2])
    made = {s.id: sample_for_spec(s, ws.put_bytes(s.id.encode(), "png")) for s in [*v1, v2]}
    ws.save_samples(made.values())
    real = sample_for_spec(v2, ws.put_bytes(b"real", "png")).model_copy(
        update={"id": "real-1", "spec_id": None, "source": "real"})
    ws.save_samples([real])
    of_v1 = ws.samples_of_policy(1)
    assert sorted(s.id for s in of_v1) == sorted(made[s.id].id for s in v1)
    assert [s.id for s in ws.samples_of_policy(2)] == [made[v2.id].id]  # not the real one
    assert ws.samples_of_policy(3) == []
    assert ws.samples_of_policy(1, limit=2) == of_v1[:2]
    everything = list(ws.iter_samples())
    assert len(everything) == 5 and list(ws.iter_samples(limit=3)) == everything[:3]
    assert [s.id for s in ws.iter_samples(source="real", limit=5)] == ["real-1"]


def test_llm_usage_sums_every_call(ws):
    assert ws.llm_usage() == (0, 0, 0.0)
    for tokens, latency in ((10, 0.25), (32, 1.5)):
        ws.log_llm_call(LLMCall(template="t", endpoint="embedded", model="m", prompt="p",
                                reply="r", prompt_tokens=tokens, completion_tokens=tokens // 2,
                                latency_s=latency))
    assert ws.llm_usage() == (42, 21, 1.75)


def _version_2_workspace(root) -> None:
    """A workspace as synthloop wrote it at schema version 2 (before the reply cache)."""
    from synthloop.tools.store.schema import MIGRATIONS

    Workspace.init(root).close()
    (root / "synthloop.db").unlink()
    con = sqlite3.connect(root / "synthloop.db")
    for stmt in MIGRATIONS[1] + MIGRATIONS[2]:
        con.execute(stmt)
    con.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
    con.execute("INSERT INTO llm_calls (created_at, template, endpoint, model, prompt, reply, "
                "prompt_tokens, completion_tokens, latency_s) "
                "VALUES ('2026-01-01', 't', 'e', 'm', 'p', 'r', 7, 3, 0.5)")
    con.commit()
    con.close()


@pytest.mark.parametrize("write", [True, False])
def test_a_version_2_workspace_gets_the_reply_cache(tmp_path, write):
    from synthloop.tools.models import CachedReply

    _version_2_workspace(tmp_path / "old")
    with Workspace.open(tmp_path / "old", write=write) as ws:  # status opens it read-only
        (call,) = ws.list_llm_calls()
        assert call.cached is False and ws.llm_usage() == (7, 3, 0.5) and ws.llm_cache_hits() == 0
        assert ws.cached_llm_reply("0" * 64) is None and ws.counts()["llm_replies"] == 0
    with Workspace.open(tmp_path / "old", write=True) as ws:
        assert ws.save_llm_reply(CachedReply(key="a" * 64, model="m", template="t", reply="{}"))
        assert not ws.save_llm_reply(CachedReply(key="a" * 64, model="m", reply="[]"))
        assert ws.cached_llm_reply("a" * 64).reply == "{}"  # the first reply stays
        ws.log_llm_call(LLMCall(template="t", model="m", reply="{}", cached=True))
        assert ws.llm_cache_hits() == 1 and ws.llm_usage() == (7, 3, 0.5)
    con = sqlite3.connect(tmp_path / "old" / "synthloop.db")
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == \
        str(SCHEMA_VERSION)
    con.close()


def test_content_files_leave_no_temporary_file_and_share_their_folder(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    paths = [ws.put_bytes(f"image {i}".encode(), "png") for i in range(40)]
    files = [p for p in (tmp_path / "ws" / "files").rglob("*") if p.is_file()]
    assert sorted(str(p.relative_to(tmp_path / "ws")) for p in files) == sorted(set(paths))
    assert not [p for p in files if ".tmp-" in p.name]
    assert (tmp_path / "ws" / paths[0]).read_bytes() == b"image 0"
    ws.close()
