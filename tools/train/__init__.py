"""Training: Ultralytics YOLO on a dataset version, offline, idempotent and resumable."""

from .device import resolve_device
from .export import export_dir, exported_dataset
from .train import train_model
from .yolo import load_model, resolve_model_source

__all__ = ["export_dir", "exported_dataset", "load_model", "resolve_device",
           "resolve_model_source", "train_model"]
