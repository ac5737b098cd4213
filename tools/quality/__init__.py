"""Quality checks on generated images: filters that drop unusable images (blank, NaN,
near-duplicates), verifiers that flag doubtful labels for review, and contact sheets.

Label verification (issue 15): `run.verify_samples` (the entry point), verifiers in
`verify` (vision LLM), `disagreement` (out-of-fold model + cleanlab), `heldout` (the
previous iteration's model), `crops` (an out-of-fold classifier of each labelled box, with
`crop_data` for its crops) and `clip` (CLIP image-text agreement); those modules load heavy
libraries and are imported on use."""

from .contact_sheet import render_contact_sheet, save_contact_sheet
from .filters import (
    BlankFilter,
    HammingIndex,
    ImageFilter,
    NearDuplicateFilter,
    default_filters,
    ground_truth_key,
)
from .stats import array_stats, decode_png, image_stats, phash_int
from .verify import (
    ImageVerifier,
    Verifier,
    VisionLLMVerifier,
    VisionReply,
    clean_flag,
    describe_labels,
    parse_reply,
)

__all__ = [
    "BlankFilter", "HammingIndex", "ImageFilter", "ImageVerifier", "VisionReply", "parse_reply", "NearDuplicateFilter", "Verifier",
    "VisionLLMVerifier", "array_stats", "clean_flag", "decode_png", "default_filters",
    "describe_labels", "ground_truth_key", "image_stats", "phash_int", "render_contact_sheet", "save_contact_sheet",
]
