"""`synthloop export --format hf-vlm`: splits without real images, LLM texts checked, and
refusals reported (issue 17)."""

from __future__ import annotations

import json

import pytest

from synthloop.agent.cli import export as export_cmd
from synthloop.agent.cli import run
from synthloop.agent.llm.fake import ScriptedLLM
from synthloop.tools.store import Workspace
from tests.support.factories import detection_policy, store_sample

ANNS = [("person", (4, 4, 30, 40)), ("hard_hat", (10, 2, 22, 10))]


@pytest.fixture
def wsdir(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        detection_policy(ws)
        for i in range(40):
            store_sample(ws, i, anns=ANNS)
    return root


def test_template_export_without_real_images_has_three_splits(wsdir, tmp_path, capsys):
    import datasets

    out = tmp_path / "vlm"
    assert run(["-w", str(wsdir), "export", "--format", "hf-vlm", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no real images" in printed and "10% of the synthetic images" in printed
    dd = datasets.load_dataset("imagefolder", data_dir=str(out))
    assert set(dd) == {"train", "validation", "test"}
    assert sum(dd[s].num_rows for s in dd) == 40
    msgs = json.loads(dd["train"][0]["messages"])
    assert msgs[0]["content"][0] == {"type": "image"} and msgs[1]["role"] == "assistant"
    manifest = json.loads((out / "vlm_manifest.json").read_text())
    assert manifest["split_rules"]["test_fraction"] == 0.1


def test_llm_texts_are_checked_and_refusals_reported(wsdir, tmp_path, capsys, monkeypatch):
    def reply(schema, messages):
        keys = list(schema.model_fields)
        # the first text of each request claims five hard hats: the checker must refuse it
        return {k: "Five hard hats on site." if i == 0 else "I cannot tell."
                for i, k in enumerate(keys)}

    llm = ScriptedLLM([reply] * 200)
    monkeypatch.setattr(export_cmd, "make_llm", lambda sv: llm)
    out = tmp_path / "vlm"
    assert run(["-w", str(wsdir), "export", "-f", "hf-vlm", "--texts", "llm",
                "--val-fraction", "0", "--test-fraction", "0.25", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "phrasings refused by the checker" in printed and "Every refusal" in printed
    manifest = json.loads((out / "vlm_manifest.json").read_text())
    assert manifest["text_stats"]["rejected"] > 0
    assert all(t["sources"].get("llm", 0) == 0 for t in manifest["texts"].values())
    assert manifest["splits"].get("validation", 0) == 0 and manifest["splits"]["test"] > 0
    assert {c.template for c in llm.calls} == {"phrase_texts"}


@pytest.mark.parametrize("args, message", [
    (["--format", "yolo", "--val-fraction", "0.2"], "--val-fraction applies only to --format hf-vlm"),
    (["--format", "hf-vlm", "--texts", "poetry"], "--texts 'poetry' is not one of template, llm"),
    (["--format", "hf-vlm", "--val-fraction", "0.6", "--test-fraction", "0.5"],
     "must leave some samples for train"),
])
def test_bad_options_exit_2_with_one_line(wsdir, tmp_path, capsys, args, message):
    out = tmp_path / "o"
    assert run(["-w", str(wsdir), "export", *args, str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) <= 2
    assert not out.exists()
