"""Exports are self-contained: copies by default (an edit never reaches the store), readable
with the usual umask, a moved YOLO export still loads, links only when asked for (with the
risk printed), `synthloop check` finds a changed store file, and an export into an empty
mount point works (issue 14, items 2, 3 and 7)."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml

from synthloop.agent.cli import run
from synthloop.tools.dataset import build_dataset_version, export_coco, export_yolo
from synthloop.tools.store import Workspace
from synthloop.tools.store.integrity import check_files
from tests.support.factories import detection_policy, store_sample


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _first_image(out: Path) -> Path:
    return sorted((out / "images" / "train").iterdir())[0]


def _stored(ws, exported: Path) -> Path:
    sample_id = exported.stem
    return ws.path(ws.get_sample(sample_id).image)


def test_editing_an_exported_image_never_changes_the_store(det_ws, tmp_path, umask_022):
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    out = export_yolo(ws, ds, tmp_path / "yolo", progress=False).parent
    img = _first_image(out)
    stored = _stored(ws, img)
    before = stored.read_bytes()
    assert not img.is_symlink() and os.stat(img).st_ino != os.stat(stored).st_ino
    with open(img, "r+b") as f:  # "re-save in place", as an image editor does
        f.write(b"\x00" * 64)
    assert stored.read_bytes() == before
    assert hashlib.sha256(before).hexdigest().startswith(stored.stem)
    assert check_files(ws).ok
    mode = stat.S_IMODE(os.stat(img).st_mode)
    assert mode == 0o644, oct(mode)  # the store's files are 0600; the export follows the umask


def test_a_hard_link_that_cannot_be_made_becomes_a_copy_not_a_symlink(det_ws, tmp_path,
                                                                       monkeypatch):
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)

    def other_disk(src, dst, *a, **k):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", other_disk)
    out = export_coco(ws, ds, tmp_path / "coco", link="hard", progress=False)
    files = list((out / "images").rglob("*.png"))
    assert files and not any(f.is_symlink() for f in files)


def test_a_moved_yolo_export_still_loads(det_ws, tmp_path):
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    data_yaml = export_yolo(ws, ds, tmp_path / "made" / "yolo", progress=False)
    assert "path" not in yaml.safe_load(data_yaml.read_text())
    moved = tmp_path / "elsewhere" / "yolo"
    moved.parent.mkdir()
    shutil.move(str(data_yaml.parent), str(moved))
    shutil.rmtree(tmp_path / "made")
    data = check_det_dataset(str(moved / "data.yaml"), autodownload=False)
    assert Path(data["train"]) == (moved / "images" / "train").resolve()
    train = YOLODataset(img_path=data["train"], data=data, task="detect", imgsz=64,
                        augment=False, cache=False)
    assert len(train.labels) == ds.count("train")


def test_export_into_an_empty_mount_point(det_ws, tmp_path, monkeypatch):
    """A mount point cannot be removed (EBUSY) and is another file system than its parent
    (a rename across is EXDEV): both are modelled here."""
    ws, pol = det_ws
    ds = build_dataset_version(ws, pol)
    mount = (tmp_path / "disk" / "mnt").resolve()
    mount.mkdir(parents=True)
    real_rmdir, real_replace = os.rmdir, os.replace

    def inside(p) -> bool:
        p = Path(p).resolve()
        return p == mount or mount in p.parents

    def rmdir(path, *a, **k):
        if Path(path).resolve() == mount:
            raise OSError(errno.EBUSY, "Device or resource busy", str(path))
        return real_rmdir(path, *a, **k)

    def replace(src, dst, *a, **k):
        if inside(src) != inside(dst) or Path(dst).resolve() == mount:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "rmdir", rmdir)
    monkeypatch.setattr(os, "replace", replace)
    data_yaml = export_yolo(ws, ds, mount, progress=False)
    assert data_yaml == mount / "data.yaml" and data_yaml.is_file()
    assert sorted(p.name for p in mount.iterdir()) == [".synthloop-export", "data.yaml",
                                                       "images", "labels"]
    assert list(mount.parent.iterdir()) == [mount]  # no work folder left beside it
    export_yolo(ws, ds, mount, overwrite=True, progress=False)  # and again, replacing it
    assert len(list((mount / "images" / "train").iterdir())) == ds.count("train")


@pytest.fixture
def wsdir(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        pol = detection_policy(ws)
        for i in range(6):
            store_sample(ws, i, anns=[("person", (4, 4, 30, 40))])
        build_dataset_version(ws, pol)
    return root


def test_link_exports_print_the_risk_and_check_finds_the_edit(wsdir, tmp_path, capsys):
    w = ["-w", str(wsdir)]
    assert run([*w, "check"]) == 0
    assert "all match their hash" in capsys.readouterr().out
    assert run([*w, "export", "--link", "hard", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "share the workspace's files" in err
    img = _first_image(tmp_path / "out")
    with open(img, "r+b") as f:
        f.write(b"\x00" * 64)
    assert run([*w, "check"]) == 2
    cap = capsys.readouterr()
    assert f"used by {img.stem}" in cap.out and "changed files/" in cap.out
    assert "1 stored file(s) no longer match" in cap.err and "hint" in cap.err
    assert run([*w, "export", str(tmp_path / "copied")]) == 0
    assert "warning" not in capsys.readouterr().err  # the default copy has no risk to print


@pytest.mark.parametrize("code, needle", [
    (errno.EROFS, "read-only"), (errno.ENOSPC, "no space left"), (errno.EACCES, "permission"),
])
def test_an_unwritable_export_target_is_one_line_exit_2(wsdir, tmp_path, capsys, monkeypatch,
                                                        code, needle):
    import tempfile

    target = tmp_path / "ro" / "out"

    def refuse(*a, dir=None, **k):
        raise OSError(code, os.strerror(code), str(dir))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    assert run(["-w", str(wsdir), "export", str(target)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "hint" in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1
