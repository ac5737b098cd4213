"""Tiny real trainings (imgsz 64, a few dozen images, 1-2 epochs): offline, idempotent,
interruptible and resumable, then evaluated into a report."""

from __future__ import annotations

import os

import pytest
import torch

from synthloop.tools.config import TrainingConfig
from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.report import render_report_html, summarize_report
from synthloop.tools.train import train, train_model
from synthloop.tools.train.device import cpu_threads
from tests.support.tiny_data import make_tiny_dataset

pytestmark = pytest.mark.slow

TINY = TrainingConfig(epochs=2, imgsz=64, batch=8, device="cpu", workers=0)


def test_train_evaluate_report_without_network(ws, no_network):
    # 16 training images, as the other runs here: nothing below depends on how many; the
    # report's assertions are about the 12 test images
    ds = make_tiny_dataset(ws, n_train=16)
    torch.set_num_threads(1)  # what Ultralytics itself would leave on a 2-core machine
    run = train_model(ws, ds, TINY, iteration=3, progress=False)
    assert torch.get_num_threads() == cpu_threads(0) == max(1, min(8, os.cpu_count()))
    assert run.status == "finished" and run.iteration == 3
    assert run.weights == f"runs/{run.id}/weights/best.pt"
    assert (ws.root / run.weights).is_file() and (ws.root / run.last).is_file()
    assert [e["epoch"] for e in run.epochs] == [1.0, 2.0]
    assert {"train/box_loss", "mAP50", "time_s"} <= set(run.epochs[0])
    assert run.wall_time_s > 0
    assert ws.get_train_run(run.id) == run
    assert run.config["optimizer"] == "AdamW" and run.config["lr0"] == TINY.lr0

    report = evaluate_model(ws, run, progress=False)
    assert ws.get_report(report.id).id == report.id
    es = report.eval_set
    assert (es.kind, es.split, es.n_images, es.dataset_id) == ("synthetic", "test", 12, ds.id)
    assert [c.name for c in report.classes] == ["red_box", "blue_box"]
    assert sum(c.support for c in report.classes) == es.n_objects
    assert all(c.map50 is not None for c in report.classes if c.support)
    m = report.confusion.matrix
    bg_fp = sum(i.fp - len(i.confusions) for i in report.images)
    assert sum(map(sum, m)) == es.n_objects + bg_fp
    assert {s.key() for s in report.slices} >= {"lighting=night", "lighting=day × red_box",
                                                "scenario=boxes_on_floor"}
    assert len(report.images) == 12
    text = summarize_report(report, max_tokens=400)
    assert "SYNTHETIC holdout" in text
    page = render_report_html(ws, report)
    assert page.is_file() and (page.parent / "confusion.png").is_file()
    assert no_network == []


def test_same_data_same_config_is_not_trained_twice(ws, monkeypatch):
    ds = make_tiny_dataset(ws, n_train=16, n_val=4, n_test=4)
    cfg = TINY.model_copy(update={"epochs": 1})
    run = train_model(ws, ds, cfg, progress=False)

    def boom(*a, **k):
        raise AssertionError("trained again")

    monkeypatch.setattr(train, "_run_training", boom)
    again = train_model(ws, ds, cfg, progress=False)
    assert again == run
    assert len(ws.list_train_runs()) == 1
    with pytest.raises(AssertionError, match="trained again"):  # a new config is a new run
        train_model(ws, ds, cfg.model_copy(update={"lr0": 0.001}), progress=False)


def test_interrupted_run_keeps_its_checkpoint_and_resume_continues(ws, no_network):
    ds = make_tiny_dataset(ws, n_train=16, n_val=4, n_test=4)
    seen = []

    def stop_after_first(epoch, metrics):
        seen.append(epoch)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model(ws, ds, TINY, progress=False, on_epoch=stop_after_first)
    run = ws.list_train_runs()[0]
    assert run.status == "interrupted" and seen == [1]
    assert run.last == f"runs/{run.id}/weights/last.pt" and (ws.root / run.last).is_file()
    assert [e["epoch"] for e in run.epochs] == [1.0]
    assert run.weights is None

    resumed_epochs = []
    done = train_model(ws, ds, TINY, progress=False, resume=True,
                       on_epoch=lambda e, m: resumed_epochs.append(e))
    assert done.id == run.id and done.status == "finished"
    assert resumed_epochs == [2]  # continued at epoch 2, did not start over
    assert [e["epoch"] for e in done.epochs] == [1.0, 2.0]
    assert done.wall_time_s > run.wall_time_s
    assert no_network == []


def test_classification_train_and_evaluate(ws, no_network):
    ds = make_tiny_dataset(ws, n_train=24, n_val=6, n_test=8, task="classification")
    run = train_model(ws, ds, TINY.model_copy(update={"epochs": 1}), progress=False)
    assert run.config["model"] == "yolov8n-cls.yaml"
    assert "accuracy_top1" in run.epochs[0]
    report = evaluate_model(ws, run, progress=False)
    assert report.task == "classification"
    assert sum(map(sum, report.confusion.matrix)) == 8
    assert report.confusion.labels == ["red_box", "blue_box"]
    assert "accuracy" in report.overall
    assert no_network == []


def test_fixed_class_weights_reach_the_loss(ws):
    import torch

    ds = make_tiny_dataset(ws, n_train=8, n_val=4, n_test=2)
    run = train_model(ws, ds, TINY.model_copy(update={"epochs": 1}), progress=False,
                      class_weights={"blue_box": 3.0})
    assert run.config["class_weights"] == {"red_box": 1.0, "blue_box": 3.0}
    ckpt = torch.load(ws.root / run.last, weights_only=False)
    weights = ckpt["model"].class_weights.tolist()
    assert weights == pytest.approx([0.5, 1.5])  # normalised to mean 1
