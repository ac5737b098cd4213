"""Datasets: real-image import, versions and splits, exports (yolo, coco, hf, classify),
and pushing an export to the hub."""

from .export_classify import export_classify
from .export_coco import export_coco
from .export_hf import export_features, export_hf
from .export_yolo import export_yolo
from .files import safe_name, safe_names
from .hub import push_to_hub
from .real_import import ImportResult, import_real_images
from .versions import (
    SYNTHETIC_TEST,
    build_dataset_version,
    count_classes,
    dataset_samples,
    describe_dataset,
    policy_labels,
)

EXPORTERS = {"yolo": export_yolo, "coco": export_coco, "hf": export_hf,
             "classify": export_classify}

__all__ = [
    "EXPORTERS", "SYNTHETIC_TEST", "ImportResult", "build_dataset_version", "count_classes",
    "dataset_samples", "describe_dataset", "export_classify", "export_coco", "export_features",
    "export_hf",
    "export_yolo", "import_real_images", "policy_labels", "push_to_hub", "safe_name",
    "safe_names",
]
