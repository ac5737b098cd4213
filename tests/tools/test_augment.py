"""Augmentation: boxes move with the pixels, copies record their parent, test stays sacred."""

from __future__ import annotations

import io

import albumentations as A
import numpy as np
import pytest
from PIL import Image

from synthloop.tools.augment import MIN_VISIBILITY, augment_image, augment_samples
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Annotation
from tests.support.factories import classification_policy, detection_policy, store_sample


def _flip():
    return A.Compose([A.HorizontalFlip(p=1.0)], bbox_params=A.BboxParams(
        format="pascal_voc", label_fields=["classes"], min_visibility=MIN_VISIBILITY), seed=0)


def test_horizontal_flip_moves_the_box_with_the_pixels():
    img = np.zeros((50, 100, 3), dtype=np.uint8)
    img[5:25, 10:30] = 255  # a white square where the box is
    out, anns = augment_image(img, [Annotation(cls="hard_hat", box=(10, 5, 30, 25))], _flip())
    assert [(a.cls, a.box) for a in anns] == [("hard_hat", (70.0, 5.0, 90.0, 25.0))]
    ys, xs = np.nonzero(out[..., 0])
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (70, 90, 5, 25)


def test_objects_pushed_out_of_frame_are_dropped():
    img = np.zeros((50, 100, 3), dtype=np.uint8)
    shift = A.Compose([A.Affine(translate_px={"x": 60, "y": 0}, p=1.0)], bbox_params=A.BboxParams(
        format="pascal_voc", label_fields=["classes"], min_visibility=MIN_VISIBILITY), seed=0)
    anns = [Annotation(cls="a", box=(10, 5, 30, 25)), Annotation(cls="b", box=(60, 5, 80, 25))]
    _, out = augment_image(img, anns, shift)
    assert [(a.cls, a.box) for a in out] == [("a", (70.0, 5.0, 90.0, 25.0))]


def test_short_classes_are_topped_up_from_real_training_images_only(ws):
    pol = detection_policy(ws)
    for i in range(3):
        store_sample(ws, i, source="real", split="train",
                   anns=[("person", (4, 4, 40, 44)), ("hard_hat", (12, 4, 30, 14))])
    store_sample(ws, 9, source="real", split="test", anns=[("person", (4, 4, 40, 44))])
    store_sample(ws, 10, split="train")  # synthetic: not a parent
    res = augment_samples(ws, pol, min_per_class=8, seed=3, progress=False)
    assert res.before == {"person": 3, "hard_hat": 3} and res.no_source == []
    assert res.after["person"] >= 8 and res.after["hard_hat"] >= 8
    copies = list(ws.iter_samples(source="augmented"))
    assert len(copies) == len(res.created) >= 5
    for c in copies:
        assert c.split == "train" and c.spec_id is None
        assert c.provenance.parent_sample in {"rea-0000", "rea-0001", "rea-0002"}
        assert c.provenance.note.startswith(f"augmented from {c.provenance.parent_sample}")
        assert c.provenance.generator == "augment" and c.variables
        img = Image.open(io.BytesIO(ws.path(c.image).read_bytes()))
        assert img.size == (c.width, c.height)
        for a in c.annotations:
            assert 0 <= a.box[0] < a.box[2] <= c.width and 0 <= a.box[1] < a.box[3] <= c.height
    assert len({ws.path(c.image).read_bytes() for c in copies}) == len(copies)
    again = augment_samples(ws, pol, min_per_class=8, seed=3, progress=False)
    assert again.created == []  # idempotent: the copies already count


def test_classes_without_a_real_training_image_are_reported(ws):
    pol = detection_policy(ws)
    store_sample(ws, 1, source="real", split="train", anns=[("person", (4, 4, 40, 44))])
    res = augment_samples(ws, pol, min_per_class=2, progress=False)
    assert res.no_source == ["hard_hat"] and res.after["person"] == 2
    with pytest.raises(ValidationError, match="min_per_class"):
        augment_samples(ws, pol, min_per_class=0)


def test_classification_copies_keep_their_label(ws):
    pol = classification_policy(ws)
    store_sample(ws, 1, source="real", split="train", anns=(), label="helmet on")
    res = augment_samples(ws, pol, min_per_class=3, progress=False)
    labels = {ws.get_sample(i).label for i in res.created}
    assert len(res.created) == 2 and labels == {"helmet on"}
    assert res.no_source == ["../no helmet"]
