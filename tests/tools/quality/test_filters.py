"""Blank/NaN and near-duplicate filters, the Hamming index, image statistics."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from synthloop.tools.errors import ValidationError
from synthloop.tools.generate.base import GeneratedImage
from synthloop.tools.generate.procedural import ProceduralGenerator
from synthloop.tools.generate.procedural.examples import ppe_policy, ppe_specs
from synthloop.tools.quality import (
    BlankFilter,
    HammingIndex,
    NearDuplicateFilter,
    array_stats,
    decode_png,
    default_filters,
    ground_truth_key,
    image_stats,
)
from tests.support.factories import png_of

SPEC = ppe_specs(1)[0]


def item(png: bytes = b"") -> GeneratedImage:
    return GeneratedImage(spec=SPEC, png=png, width=8, height=8)


@pytest.fixture(scope="module")
def rendered():
    with ProceduralGenerator(128, 128, workers=1) as g:
        g.request_stats(["phash", "std", "mean", "finite"])
        return list(g.generate(ppe_specs(40, seed=9), ppe_policy()))


def test_blank_filter_drops_uniform_images_and_keeps_scenes(rendered):
    f = BlankFilter()
    flat = image_stats(Image.new("RGB", (64, 64), (120, 130, 140)))
    assert f.check(item(), flat) == "blank"
    assert all(f.check(i, i.stats) is None for i in rendered)
    assert f.dropped == 1


def test_nan_pixels_are_dropped():
    a = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    assert BlankFilter().check(item(), array_stats(a)) is None
    a[3, 4, 1] = np.nan
    stats = array_stats(a)
    assert stats["finite"] == 0.0 and BlankFilter().check(item(), stats) == "nan"


def test_worker_stats_equal_stats_of_the_decoded_png(rendered):
    for img in rendered[:5]:
        again = image_stats(decode_png(img.png), ("phash", "std", "mean"))
        assert again["phash"] == img.stats["phash"]
        assert again["std"] == pytest.approx(img.stats["std"], abs=1e-3)


def test_near_duplicate_filter_drops_a_planted_copy_and_keeps_distinct_scenes(rendered):
    f = NearDuplicateFilter(max_distance=4)
    kept = [i for i in rendered if f.check(i, i.stats) is None]
    assert len(kept) == len(rendered)  # procedural scenes with different seeds are not duplicates
    src = rendered[7]
    original = np.asarray(decode_png(src.png)).astype(int)
    for changed in (np.clip(original + 4, 0, 255), np.roll(original, 1, axis=1)):
        copy = GeneratedImage(spec=src.spec, png=png_of(changed), width=src.width,
                              height=src.height, annotations=src.annotations)
        assert f.check(copy, image_stats(decode_png(copy.png))) == "near_duplicate"
    assert f.dropped == 2


def test_look_alikes_with_different_labels_are_a_pair_not_duplicates(rendered):
    src = rendered[3]
    relabelled = GeneratedImage(spec=src.spec, png=src.png, width=src.width, height=src.height,
                                annotations=src.annotations[:1])  # e.g. the hard hat is missing
    other_skin = GeneratedImage(spec=SPEC, png=src.png, width=src.width, height=src.height,
                                annotations=src.annotations)  # same labels, other variables
    f = NearDuplicateFilter(max_distance=4)
    assert f.check(src, src.stats) is None
    assert f.check(relabelled, src.stats) is None
    assert SPEC.variables != src.spec.variables and f.check(other_skin, src.stats) is None
    pixels_only = NearDuplicateFilter(max_distance=4, same_labels_only=False)
    assert pixels_only.check(src, src.stats) is None
    assert pixels_only.check(relabelled, src.stats) == "near_duplicate"
    assert ground_truth_key(src) != ground_truth_key(relabelled)


def test_near_duplicate_threshold_is_validated_and_seedable():
    with pytest.raises(ValidationError):
        NearDuplicateFilter(max_distance=40)
    f = NearDuplicateFilter(max_distance=2)
    f.add_hashes([0b1011])
    assert f.check(item(), {"phash": 0b1000}) == "near_duplicate"  # 2 bits away
    assert f.check(item(), {"phash": 0b0100}) is None  # 4 bits away


@pytest.mark.parametrize("d", [0, 3, 6])
def test_hamming_index_agrees_with_brute_force(d):
    rng = random.Random(d)
    stored = [rng.getrandbits(64) for _ in range(300)]
    near = [h ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)) for h in stored[:50]]
    probes = near + [rng.getrandbits(64) for _ in range(200)]
    index = HammingIndex(d)
    for h in stored:
        index.add(h)
    for p in probes:
        brute = min((p ^ h).bit_count() for h in stored)
        assert index.nearest(p) == (brute if brute <= d else None)


def test_default_filters_are_blank_then_near_duplicates():
    names = [f.name for f in default_filters()]
    assert names == ["blank", "near_duplicate"]


def test_undecodable_bytes_raise_value_error():
    with pytest.raises(ValueError, match="undecodable"):
        decode_png(b"not an image")
