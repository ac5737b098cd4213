"""Dataset versions: the split policy, holdout kind, val carving, per-class minimum."""

from __future__ import annotations

import logging

import pytest

from synthloop.tools.dataset import SYNTHETIC_TEST, build_dataset_version, describe_dataset
from synthloop.tools.errors import ValidationError
from tests.support.factories import classification_policy, detection_policy, store_sample


def test_real_images_are_the_test_set_and_synthetic_test_is_kept_apart(det_ws):
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol, note="first")
    assert ds.holdout == "real"
    assert ds.splits["test"] == [f"rea-{i:04d}" for i in range(20, 24)]
    assert ds.splits[SYNTHETIC_TEST] == [f"syn-{i:04d}" for i in range(12, 15)]
    train_val = ds.splits["train"] + ds.splits["val"]
    assert sorted(train_val) == [f"syn-{i:04d}" for i in range(12)]
    assert len(ds.splits["val"]) == 1  # 10% of 12 groups, carved because none was marked val
    assert ws.get_dataset(ds.id) == ds and ds.class_names == ["person", "hard_hat"]
    again = build_dataset_version(ws, pol, note="same samples, another note")
    assert again.id == ds.id  # the id is the manifest hash


def test_without_real_test_images_the_synthetic_holdout_is_the_test_split(ws):
    pol = detection_policy(ws)
    for i in range(5):
        store_sample(ws, i)
    store_sample(ws, 5, split="val")
    store_sample(ws, 6, split="test")
    ds = build_dataset_version(ws, pol)
    assert ds.holdout == "synthetic"
    assert ds.splits["test"] == ["syn-0006"] and ds.splits["val"] == ["syn-0005"]
    assert len(ds.splits["train"]) == 5 and SYNTHETIC_TEST not in ds.splits
    counts = describe_dataset(ws, ds)
    assert counts["train"] == {"images": 5, "person": 5, "hard_hat": 0}


def test_augmented_copies_train_never_from_test_and_stay_with_their_parent(ws, caplog):
    pol = detection_policy(ws)
    store_sample(ws, 1, source="real", split="train")
    store_sample(ws, 2, source="real", split="test")
    for i in range(10, 20):
        store_sample(ws, i)
    for k in range(3):
        store_sample(ws, 100 + k, source="augmented", split="train", parent="rea-0001")
    store_sample(ws, 200, source="augmented", split="train", parent="rea-0002")
    with caplog.at_level(logging.WARNING):
        ds = build_dataset_version(ws, pol, val_fraction=0.5)
    assert "aug-0200" not in sum(ds.splits.values(), [])
    assert "comes from test image rea-0002" in caplog.text
    assert ds.splits["test"] == ["rea-0002"]
    group = {"rea-0001", "aug-0100", "aug-0101", "aug-0102"}
    assert group <= set(ds.splits["train"])  # synthetic groups are carved into val first
    assert set(ds.splits["val"]) <= {f"syn-{i:04d}" for i in range(10, 20)}
    assert len(ds.splits["val"]) == 6  # round(0.5 * 12 groups)


def test_min_per_class_raises_clearly_or_warns(det_ws, caplog):
    ws, pol = det_ws
    with pytest.raises(ValidationError, match="hard_hat=1[01]") as e:
        build_dataset_version(ws, pol, min_per_class=12)
    assert "augment" in e.value.hint
    with caplog.at_level(logging.WARNING):
        ds = build_dataset_version(ws, pol, min_per_class=12, strict=False)
    assert "fewer than 12 training objects" in caplog.text and ds.count("train") > 0
    build_dataset_version(ws, pol, min_per_class=5)  # enough: no error


def test_samples_with_classes_the_policy_lacks_are_left_out(ws, caplog):
    pol = detection_policy(ws)
    store_sample(ws, 1)
    store_sample(ws, 2, anns=[("ladder", (1, 1, 5, 5))])
    with caplog.at_level(logging.WARNING):
        ds = build_dataset_version(ws, pol, sample_ids=["syn-0001", "syn-0002"])
    assert ds.splits["train"] == ["syn-0001"] and "ladder (1)" in caplog.text


def test_classification_uses_labels_and_rejects_an_unstored_policy(ws):
    pol = classification_policy(ws)
    store_sample(ws, 1, anns=(), label="helmet on")
    store_sample(ws, 2, anns=(), label="../no helmet")
    store_sample(ws, 3, anns=(), label="other")
    ds = build_dataset_version(ws, pol)
    assert ds.task == "classification" and ds.class_names == ["helmet on", "../no helmet"]
    assert sorted(ds.splits["train"] + ds.splits["val"]) == ["syn-0001", "syn-0002"]
    with pytest.raises(ValidationError, match="never stored"):
        build_dataset_version(ws, pol.model_copy(update={"version": None}))
