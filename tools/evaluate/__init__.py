"""Evaluation: run a trained model on the eval split and build the misclassification
report (per class, per image, per slice). `build_report` is the pure part."""

from .build import BACKGROUND, build_report
from .evaluate import evaluate_model
from .matching import ImageMatch, Prediction, box_iou, match_detections
from .ranking import SCORE_METHOD, weakness_score, wilson_interval

__all__ = [
    "BACKGROUND", "SCORE_METHOD", "ImageMatch", "Prediction", "box_iou", "build_report", "evaluate_model",
    "match_detections", "weakness_score", "wilson_interval",
]
