"""What train_model asks Ultralytics for: the settings that decide whether a small
synthetic set is learned at all."""

from __future__ import annotations

from synthloop.tools.config import TrainingConfig
from synthloop.tools.models import TrainRun
from synthloop.tools.train.train import _train_args


def _args(ws, task: str, **cfg):
    run = TrainRun(dataset_id="d", task=task, config={})
    return _train_args(run, TrainingConfig(**cfg), "data", "cpu", None, ws)


def test_classification_trains_without_heavy_augmentation_by_default(ws):
    # measured: with randaugment + erasing 0.4, yolov8n-cls learned nothing from 300
    # rendered helmet / no-helmet images (loss stuck at ln 2); without, 0.95 in 8 epochs
    a = _args(ws, "classification")
    assert a["auto_augment"] is None and a["erasing"] == 0.0
    b = _args(ws, "classification", auto_augment="randaugment", erasing=0.4)
    assert b["auto_augment"] == "randaugment" and b["erasing"] == 0.4


def test_detection_is_not_given_classification_augmentation(ws):
    a = _args(ws, "detection", nominal_batch=16, warmup_epochs=0)
    assert "auto_augment" not in a and "erasing" not in a
    assert a["nbs"] == 16 and a["warmup_epochs"] == 0
