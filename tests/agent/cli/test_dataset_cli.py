"""The dataset commands: import-real, augment, dataset build/show, export."""

from __future__ import annotations

import pytest
import yaml

from synthloop.agent.cli import run
from synthloop.tools.store import Workspace
from tests.support.factories import detection_policy, png_bytes, store_sample


@pytest.fixture
def wsdir(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        detection_policy(ws)
        for i in range(6):
            store_sample(ws, i, anns=[("person", (4, 4, 30, 40)), ("hard_hat", (10, 2, 22, 10))])
    return root


def test_import_augment_build_and_export(wsdir, tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    for i in range(3):
        (real / f"{i}.png").write_bytes(png_bytes(100 + i))
        (real / f"{i}.txt").write_text("0 0.5 0.5 0.5 0.5\n1 0.5 0.2 0.2 0.2\n")
    (real / "bad.png").write_bytes(b"nope")
    w = ["-w", str(wsdir)]
    assert run([*w, "import-real", str(real), "--split", "train"]) == 0
    out = capsys.readouterr().out
    assert "imported 3 real image(s) into train" in out and "1 corrupt" in out
    assert run([*w, "augment", "--min-per-class", "5"]) == 0
    assert "augmented: 2 new image(s)" in capsys.readouterr().out
    assert run([*w, "dataset", "build"]) == 0
    out = capsys.readouterr().out
    assert "hard_hat" in out and "train" in out and "holdout: synthetic" in out
    assert list((wsdir / "reports").glob("dataset-*.png"))
    assert run([*w, "dataset", "show"]) == 0
    assert run([*w, "export", str(tmp_path / "out")]) == 0
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data["names"] == {0: "person", 1: "hard_hat"}
    assert run([*w, "export", "--format", "coco", str(tmp_path / "out")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert run([*w, "export", "-f", "hf", "--overwrite", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "train" / "metadata.jsonl").is_file()
    assert not (tmp_path / "out" / "data.yaml").exists()  # the earlier export was replaced


def test_bad_arguments_exit_2_with_one_line(wsdir, tmp_path, capsys):
    w = ["-w", str(wsdir)]
    assert run([*w, "export", "--format", "pascal", str(tmp_path / "o")]) == 2
    assert "not one of yolo, coco, hf, classify" in capsys.readouterr().err
    assert run([*w, "import-real", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert run([*w, "export", "--dataset", "nope", str(tmp_path / "o")]) == 2
    assert run([*w, "dataset", "build", "--min-per-class", "50"]) == 2
    assert "fewer than 50" in capsys.readouterr().err
