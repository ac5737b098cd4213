"""Quarantine, not deletion: flags in the store, datasets that leave flagged samples out."""

from __future__ import annotations

import sqlite3

import pytest

from synthloop.tools.dataset import build_dataset_version
from synthloop.tools.design import expand_specs, load_example_policy
from synthloop.tools.errors import NotFound, ValidationError
from synthloop.tools.generate.procedural import ProceduralGenerator
from synthloop.tools.generate.runner import generate_samples
from synthloop.tools.models import ObjectFlag, SampleFlag, SampleVerdict
from synthloop.tools.quality.run import verify_samples
from synthloop.tools.store import SCHEMA_VERSION, Workspace
from synthloop.tools.store.schema import MIGRATIONS
from tests.support.old_schema import rewind_schema


@pytest.fixture
def filled(ws):
    policy = ws.save_policy(load_example_policy("ppe"))
    specs = [*expand_specs(policy, 24, seed=1, split="train"), *expand_specs(policy, 6, seed=2, split="test")]
    with ProceduralGenerator(64, 64, workers=1) as gen:
        generate_samples(ws, policy, specs, gen, progress=False)
    return ws, policy


class FirstThree:
    """A batch verifier that flags the first three training samples it is given."""

    name = "stub"

    def verify_batch(self, ws, policy, samples, progress=False):
        return [SampleVerdict(sample_id=s.id, verifier=self.name, score=0.1 if i < 3 else 0.9,
                              verdict="suspect" if i < 3 else "ok",
                              reason="token sk-abcdefghijklmnopqrstuvwx" if i == 0 else "odd",
                              objects=[ObjectFlag(index=0, cls="person", score=0.1, reason="x")]
                              if i < 3 else [])
                for i, s in enumerate(samples)]


def test_flagged_samples_are_quarantined_excluded_then_released(filled):
    ws, policy = filled
    train = sorted(ws.iter_samples(split="train"), key=lambda s: s.id)
    before = build_dataset_version(ws, policy)
    rep = verify_samples(ws, policy, train, [FirstThree()])
    bad = [s.id for s in train[:3]]
    assert rep.flagged == 3 and rep.quarantined == sorted(bad)
    assert rep.per_verifier["stub"] == {"checked": 24, "suspect": 3, "unverified": 0}
    flags = ws.list_flags(status="quarantined")
    assert [f.sample_id for f in flags] == sorted(bad) and flags[0].objects[0].cls == "person"
    assert all("sk-abcdefghijklmnop" not in f.reason for f in flags)   # secrets redacted
    ds = build_dataset_version(ws, policy)
    kept = set(ds.splits["train"]) | set(ds.splits["val"])
    assert not kept & set(bad) and ds.excluded == sorted(bad) and ds.excluded_count == 3
    assert ds.splits["test"] == before.splits["test"] and "3 quarantined" in ds.note
    assert ws.get_dataset(ds.id).excluded == sorted(bad)
    assert len(list(ws.iter_samples())) == 30                          # nothing deleted
    assert ws.set_flag_status([bad[0]], "released") == 1
    assert ws.set_flag_status([bad[1]], "confirmed") == 1
    ds2 = build_dataset_version(ws, policy)
    assert ds2.excluded == sorted(bad[1:]) and bad[0] in set(ds2.splits["train"]) | set(ds2.splits["val"])
    # a re-run keeps what a person decided
    verify_samples(ws, policy, train, [FirstThree()])
    assert {f.sample_id: f.status for f in ws.list_flags()} == {
        bad[0]: "released", bad[1]: "confirmed", bad[2]: "quarantined"}
    assert build_dataset_version(ws, policy, exclude_quarantined=False).excluded == []


def test_bad_status_and_unknown_ids_are_refused(filled):
    ws, policy = filled
    with pytest.raises(NotFound):
        ws.set_flag_status(["nope"], "released")
    ws.save_flags([SampleFlag(sample_id="a", verifier="v", score=0.2, reason="r")])
    with pytest.raises(ValidationError):
        ws.set_flag_status(["a"], "deleted")
    with pytest.raises(ValidationError):
        verify_samples(ws, policy, [], [])
    with pytest.raises(ValidationError):
        verify_samples(ws, policy, [], [object()])


def test_a_version_1_workspace_is_migrated(tmp_path):
    Workspace.init(tmp_path / "old").close()
    rewind_schema(tmp_path / "old", 1, "DROP TABLE sample_flags")
    with Workspace.open(tmp_path / "old", write=True) as ws:
        assert ws.list_flags() == [] and ws.quarantined_ids() == set()
        ws.save_flags([SampleFlag(sample_id="a", verifier="v", score=0.2, reason="r")])
        assert ws.quarantined_ids() == {"a"}
    con = sqlite3.connect(tmp_path / "old" / "synthloop.db")
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    con.close()
    assert "sample_flags" in " ".join(MIGRATIONS[2])


def test_a_vision_verifier_can_be_budgeted_to_flagged_samples(filled):
    from synthloop.tools.quality import VisionLLMVerifier

    ws, policy = filled
    train = sorted(ws.iter_samples(split="train"), key=lambda s: s.id)
    asked = []

    def ask(prompt, png):
        asked.append(prompt)
        assert png.startswith(b"\x89PNG")
        return "not json"

    rep = verify_samples(ws, policy, train, [FirstThree(), VisionLLMVerifier(ask, only_flagged=True)],
                         quarantine=False)
    assert len(asked) == 3 and rep.per_verifier["vision_llm"] == {"checked": 3, "suspect": 0, "unverified": 3}
    assert rep.unverified == 3 and ws.list_flags() == []
