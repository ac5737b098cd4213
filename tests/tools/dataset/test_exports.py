"""Each export is read back by its own format's loader."""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest

from synthloop.tools.dataset import (
    build_dataset_version,
    export_classify,
    export_coco,
    export_features,
    export_hf,
    export_yolo,
    push_to_hub,
    safe_name,
)
from synthloop.tools.errors import ConfigError, ExternalError, ValidationError
from tests.support.factories import classification_policy, store_sample


@pytest.mark.parametrize("link", ["hard", "symlink"])
def test_yolo_export_loads_in_ultralytics(det_ws, tmp_path, link):
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    data_yaml = export_yolo(ws, ds, tmp_path / "yolo", link=link, progress=False)
    data = check_det_dataset(str(data_yaml), autodownload=False)
    assert data["names"] == {0: "person", 1: "hard_hat"} and data["nc"] == 2
    assert os.path.isabs(data["path"]) and data["test"].endswith("images/test")
    train = YOLODataset(img_path=data["train"], data=data, task="detect", imgsz=64,
                        augment=False, cache=False)
    assert len(train.labels) == ds.count("train")
    lab = train.labels[0]
    assert sorted(lab["cls"].ravel().tolist()) == [0.0, 1.0]
    person = lab["bboxes"][lab["cls"].ravel() == 0][0]
    np.testing.assert_allclose(person, [17 / 64, 22 / 48, 26 / 64, 36 / 48], atol=1e-5)
    test = YOLODataset(img_path=data["test"], data=data, task="detect", imgsz=64, augment=False)
    assert len(test.labels) == 4  # the real test images only


def test_yolo_export_without_val_validates_on_train_never_test(ws, tmp_path, caplog):
    from tests.support.factories import detection_policy

    pol = detection_policy(ws)
    store_sample(ws, 1)
    store_sample(ws, 2, source="real", split="test")
    ds = build_dataset_version(ws, pol)  # one training group: nothing to carve
    assert ds.splits["val"] == []
    with caplog.at_level(logging.WARNING):
        data_yaml = export_yolo(ws, ds, tmp_path / "y", progress=False)
    text = data_yaml.read_text()
    assert "val: images/train" in text and "test: images/test" in text
    assert "no val split" in caplog.text


def test_coco_export_loads_in_pycocotools(det_ws, tmp_path):
    from pycocotools.coco import COCO

    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    out = export_coco(ws, ds, tmp_path / "coco", progress=False)
    coco = COCO(str(out / "annotations" / "instances_train.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["person", "hard_hat"]
    img_ids = coco.getImgIds()
    assert len(img_ids) == ds.count("train")
    anns = coco.loadAnns(coco.getAnnIds(imgIds=img_ids[0], catIds=[1]))
    assert anns[0]["bbox"] == [4.0, 4.0, 26.0, 36.0]
    info = coco.loadImgs(img_ids[0])[0]
    assert (out / "images" / "train" / info["file_name"]).is_file()
    assert info["synthloop"]["variables"]["lighting"] in ("day", "night")
    test = COCO(str(out / "annotations" / "instances_test.json"))
    assert len(test.getImgIds()) == 4


def test_hf_export_loads_with_datasets_offline(det_ws, tmp_path, monkeypatch, no_network):
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    out = export_hf(ws, ds, tmp_path / "hf", progress=False)
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf-cache"))
    assert set(loaded) == {"train", "validation", "test"}
    assert loaded["test"].num_rows == 4 and loaded["validation"].num_rows == 1
    row = loaded["train"][0]
    assert row["image"].size == (64, 48)
    assert row["prompt"].startswith("a worker ") and row["scenario"] == "with_hat"
    assert row["lighting"] in ("day", "night") and row["generator"] == "procedural"
    real = loaded["test"][0]
    assert real["source"] == "real" and real["prompt"] == "-" and real["seed"] == -1
    assert str(row["seed"]) == row["prompt"].split()[-1]
    columns = {sp: list(loaded[sp].features) for sp in loaded}
    assert columns["train"] == columns["test"] == columns["validation"]
    assert no_network == []


def test_hf_objects_and_labels_are_typed_features(det_ws, tmp_path, monkeypatch):
    """Issue 14, item 4: `objects` is a struct of lists with ClassLabel categories (it was
    a JSON string), the shape Hugging Face detection recipes read."""
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    out = export_hf(ws, ds, tmp_path / "hf", progress=False)
    train = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "c"))["train"]
    objects = train.features["objects"]
    category = objects["category"]
    category = getattr(category, "feature", category)  # List (datasets 4+) or Sequence
    assert isinstance(category, datasets.ClassLabel)
    assert category.names == ["person", "hard_hat"]
    row = train[0]
    assert row["objects"]["category"] == [0, 1]  # person, hard_hat
    assert row["objects"]["bbox"][0] == [4.0, 4.0, 26.0, 36.0]  # x, y, w, h in pixels
    assert row["objects"]["area"][0] == 26 * 36
    assert category.int2str(row["objects"]["category"]) == ["person", "hard_hat"]
    bare = datasets.load_dataset("imagefolder", data_dir=str(out), cache_dir=str(tmp_path / "d"),
                                 features=export_features(out))
    assert bare["train"].features == train.features


def test_hf_export_of_a_classification_dataset_has_labels(ws, tmp_path, monkeypatch):
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    pol = classification_policy(ws)
    for i in range(4):
        store_sample(ws, i, anns=(), label="helmet on" if i % 2 else "../no helmet")
    ds = build_dataset_version(ws, pol, val_fraction=0.25)
    out = export_hf(ws, ds, tmp_path / "hf", progress=False)
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf-cache"))
    assert set(loaded) == {"train", "validation"}
    label = loaded["train"].features["label"]
    assert isinstance(label, datasets.ClassLabel) and label.names == ds.class_names
    got = {label.int2str(i) for sp in loaded.values() for i in sp["label"]}
    assert sorted(got) == sorted(ds.class_names)
    with pytest.raises(ValidationError, match="classification dataset"):
        export_coco(ws, ds, tmp_path / "coco")


def test_classify_export_sanitises_labels_and_loads_in_ultralytics(ws, tmp_path):
    from ultralytics.cfg import get_cfg
    from ultralytics.data.dataset import ClassificationDataset
    from ultralytics.data.utils import check_cls_dataset

    pol = classification_policy(ws)  # labels "helmet on" and "../no helmet"
    for i in range(6):
        store_sample(ws, i, anns=(), label="helmet on" if i % 2 else "../no helmet")
    store_sample(ws, 9, source="real", split="test", anns=(), label="../no helmet")
    ds = build_dataset_version(ws, pol, val_fraction=0.34)
    out = export_classify(ws, ds, tmp_path / "cls", progress=False)
    folders = sorted(p.name for p in (out / "train").iterdir())
    assert folders == sorted([safe_name("helmet on"), safe_name("../no helmet")])
    assert all("/" not in f and " " not in f and not f.startswith(".") for f in folders)
    assert not (tmp_path / "no helmet").exists()  # nothing escaped the export folder
    info = check_cls_dataset(str(out))
    assert info["nc"] == 2 and info["test"] is not None
    train = ClassificationDataset(root=str(info["train"]), args=get_cfg(overrides={"imgsz": 32}),
                                  augment=False)
    assert len(train.samples) == ds.count("train")
    names = json.loads((out / "classes.json").read_text())["names"]
    assert sorted(names.values()) == sorted(ds.class_names)
    with pytest.raises(ValidationError, match="needs image labels"):
        export_classify(ws, ds.model_copy(update={"task": "detection"}), tmp_path / "x")


def test_a_non_empty_folder_is_refused_unless_overwrite(det_ws, tmp_path):
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(ValidationError, match="not empty"):
        export_yolo(ws, ds, theirs, progress=False)
    export_yolo(ws, ds, theirs, overwrite=True, progress=False)
    assert (theirs / "notes.txt").read_text() == "mine" and (theirs / "data.yaml").is_file()
    (theirs / "images" / "train" / "stale.png").write_bytes(b"x")
    export_yolo(ws, ds, theirs, overwrite=True, progress=False)  # our own earlier export
    assert not (theirs / "images" / "train" / "stale.png").exists()
    (tmp_path / "other" / "images").mkdir(parents=True)
    with pytest.raises(ValidationError, match="did not write"):
        export_coco(ws, ds, tmp_path / "other", overwrite=True, progress=False)
    assert (tmp_path / "other" / "images").is_dir()


def test_a_failed_export_leaves_nothing_behind(det_ws, tmp_path):
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    bad = ds.model_copy(update={"class_names": ["person"]})  # hard_hat boxes are unknown now
    (tmp_path / "exports").mkdir()
    with pytest.raises(ValidationError, match="does not list"):
        export_yolo(ws, bad, tmp_path / "exports" / "y", progress=False)
    assert list((tmp_path / "exports").iterdir()) == []


def test_push_to_hub_needs_a_token_and_never_logs_it(tmp_path, monkeypatch, caplog):
    import huggingface_hub

    from synthloop.tools import offline

    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "README.md").write_text("card")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="needs a token"):
        push_to_hub(folder, "me/data")
    with pytest.raises(ValidationError, match="owner/name"):
        push_to_hub(folder, "../../etc")
    token = "hf_" + "Q" * 30
    monkeypatch.setenv("HF_TOKEN", token)
    calls = []

    class FakeApi:
        def __init__(self, token):
            calls.append(("init", token == os.environ["HF_TOKEN"]))

        def create_repo(self, repo_id, **kw):
            calls.append(("create", repo_id, kw["repo_type"], kw["private"]))

        def upload_folder(self, **kw):
            raise RuntimeError(f"401 unauthorized for token {token}")

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(offline, "_we_set", offline._we_set | {"HF_HUB_OFFLINE"})
    with caplog.at_level(logging.DEBUG), pytest.raises(ExternalError) as e:
        push_to_hub(folder, "me/data")
    assert calls == [("init", True), ("create", "me/data", "dataset", True)]
    assert token not in str(e.value) and "***" in str(e.value)
    assert token not in caplog.text
