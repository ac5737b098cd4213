"""Importing real images: YOLO labels, class folders, corrupt files, idempotence."""

from __future__ import annotations

import logging

import pytest

from synthloop.tools.dataset import import_real_images
from synthloop.tools.errors import NotFound, ValidationError
from tests.support.factories import detection_policy, png_bytes


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_yolo_folder_imports_to_test_and_skips_corrupt_images(ws, tmp_path, caplog, no_network):
    detection_policy(ws)
    src = tmp_path / "site"
    _write(src / "a.png", png_bytes(1, (100, 50)))
    (src / "a.txt").write_text("1 0.5 0.5 0.2 0.4\n0 0.1 0.2 0.2 0.4\n")
    _write(src / "images" / "b.png", png_bytes(2))  # labels/ beside images/
    _write(src / "labels" / "b.txt", b"0 0.5 0.5 1.0 1.0\n")
    _write(src / "c.png", png_bytes(3))  # no label file: a background image
    _write(src / "broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    _write(src / "truncated.png", png_bytes(4)[:300])
    _write(src / "badlabel.png", png_bytes(5))
    (src / "badlabel.txt").write_text("7 0.5 0.5 0.1 0.1\n")
    with caplog.at_level(logging.WARNING):
        res = import_real_images(ws, src, progress=False)
    assert sorted(res.corrupt) == ["broken.jpg", "truncated.png"]
    assert "skipped 2 corrupt or truncated image(s)" in caplog.text
    assert "broken.jpg" in caplog.text and "truncated.png" in caplog.text
    assert len(res.bad_labels) == 1 and "class index 7" in res.bad_labels[0]
    assert len(res.imported) == 3 and res.classes == {"hard_hat": 1, "person": 2}
    samples = {s.provenance.note: s for s in ws.iter_samples(source="real")}
    a = samples["imported from a.png"]
    assert a.split == "test" and (a.width, a.height) == (100, 50)
    assert [(x.cls, x.box) for x in a.annotations] == [
        ("hard_hat", (40.0, 15.0, 60.0, 35.0)), ("person", (0.0, 0.0, 20.0, 20.0))]
    assert samples["imported from images/b.png"].annotations[0].box == (0.0, 0.0, 64.0, 48.0)
    assert samples["imported from c.png"].annotations == []
    assert ws.path(a.image).read_bytes() == (src / "a.png").read_bytes()  # stored as-is
    again = import_real_images(ws, src, progress=False)
    assert again.imported == [] and again.already_there == 3  # content-addressed: no duplicates


def test_class_names_come_from_data_yaml(ws, tmp_path):
    src = tmp_path / "photos"
    _write(src / "x.png", png_bytes(1))
    (src / "x.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    (src / "data.yaml").write_text("names:\n  0: vest\n  1: helmet\n")
    res = import_real_images(ws, src, split="val", progress=False)
    assert res.classes == {"helmet": 1}
    assert ws.get_sample(res.imported[0]).split == "val"


def test_class_folders_give_labels_and_loose_files_are_reported(ws, tmp_path, caplog):
    src = tmp_path / "cls"
    _write(src / "helmet on" / "1.png", png_bytes(1))
    _write(src / "no_helmet" / "deeper" / "2.png", png_bytes(2))
    _write(src / "loose.png", png_bytes(3))
    with caplog.at_level(logging.WARNING):
        res = import_real_images(ws, src, labels="folders", progress=False)
    assert res.classes == {"helmet on": 1, "no_helmet": 1} and res.unlabelled == ["loose.png"]
    assert "outside a class folder" in caplog.text
    assert {ws.get_sample(i).label for i in res.imported} == {"helmet on", "no_helmet"}


def test_plain_images_and_bad_arguments(ws, tmp_path):
    src = tmp_path / "plain"
    _write(src / "1.png", png_bytes(1))
    res = import_real_images(ws, src, labels="none", progress=False)
    s = ws.get_sample(res.imported[0])
    assert s.source == "real" and s.annotations == [] and s.label is None
    with pytest.raises(NotFound, match="does not exist"):
        import_real_images(ws, tmp_path / "missing")
    with pytest.raises(ValidationError, match="labels="):
        import_real_images(ws, src, labels="coco")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="split="):
        import_real_images(ws, src, split="holdout")
    with pytest.raises(ValidationError, match="no class names"):
        import_real_images(ws, src, labels="yolo")  # no policy, no data.yaml
