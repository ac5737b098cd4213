"""Split rules from the seed, and the hf-vlm export loads as three splits with `messages`."""

from __future__ import annotations

import json

import pytest

from synthloop.tools.dataset.export_hf_vlm import MANIFEST, export_hf_vlm, push_hf_vlm
from synthloop.tools.design import load_example_policy
from synthloop.tools.errors import ValidationError
from synthloop.tools.text import SplitRules, assign_splits, build_texts
from tests.support.factories import ppe_samples, with_stored_pngs


def test_default_split_rules_follow_the_seed():
    a = assign_splits(ppe_samples())
    assert a.split_of("real-1") == a.split_of("real-2") == "test"
    assert a.split_of("syn-ok") == a.split_of("aug-ok") == "train"
    assert a.temperatures == {"test": 0.2, "validation": 0.7, "train": 1.2}


def test_overrides_keep_and_augmented_copies_of_test_images():
    samples = ppe_samples()
    a = assign_splits(samples, SplitRules(overrides={"syn-ok": "test", "syn-bare": "validation"},
                                          temperatures=[1.0, 0.1]))
    assert a.split_of("syn-ok") == "test" and a.split_of("syn-bare") == "validation"
    assert a.split_of("aug-ok") is None  # its parent is in test: never trained on
    assert a.temperatures == {"test": 0.1, "validation": 1.0, "train": 1.0}
    with pytest.raises(ValidationError):
        assign_splits(samples, SplitRules(overrides={"nope": "test"}))


def test_texts_are_phrased_at_their_split_temperature():
    samples = ppe_samples()
    a = assign_splits(samples, SplitRules(overrides={"syn-none": "validation"}))
    seen = set()

    def echo(prompt, temperature):
        seen.add(temperature)
        return prompt.rsplit("\n", 1)[-1]  # the reference itself: always true

    built = build_texts(load_example_policy("ppe"), samples, a, phrase=echo)
    assert seen == {0.2, 0.7, 1.2}
    assert built.texts["real-1"].temperature == 0.2 and built.texts["syn-ok"].temperature == 1.2
    assert built.stats.llm_accepted == built.stats.texts and built.stats.rejected == 0


def test_export_loads_with_three_splits_and_messages(ws, tmp_path):
    import datasets

    pol = load_example_policy("ppe")
    samples = with_stored_pngs(ws, ppe_samples())
    a = assign_splits(samples, SplitRules(overrides={"syn-group": "validation"}))
    built = build_texts(pol, samples, a)
    out = export_hf_vlm(ws, pol, samples, tmp_path / "vlm", texts=built, splits=a, progress=False)
    dd = datasets.load_dataset("imagefolder", data_dir=str(out))
    assert set(dd) == {"train", "validation", "test"}
    assert dd["test"].num_rows == 2 and dd["validation"].num_rows == 1
    msgs = json.loads(dd["validation"][0]["messages"])
    assert msgs[0]["role"] == "user" and msgs[0]["content"][0] == {"type": "image"}
    assert msgs[0]["content"][1]["type"] == "text" and msgs[1]["role"] == "assistant"
    assert "violates rule R2" in dd["validation"][0]["caption_short"]
    man = json.loads((out / MANIFEST).read_text())
    assert man["splits"] == {"train": 6, "validation": 1, "test": 2}
    assert {x["sample_id"]: x["split"] for x in man["assignment"]}["real-2"] == "test"
    img = next((out / "test").glob("*.png"))
    assert not img.is_symlink()
    with pytest.raises(ValidationError, match="not empty"):
        export_hf_vlm(ws, pol, samples, out, texts=built, splits=a, progress=False)


def test_push_refuses_a_folder_that_is_not_an_hf_vlm_export(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("hi")
    with pytest.raises(ValidationError, match="not an hf-vlm export"):
        push_hf_vlm(tmp_path / "x", "me/data", token="hf_" + "a" * 30)
