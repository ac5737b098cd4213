"""Filters that drop bad generated images before they are stored.

A filter looks at one image's statistics (see `stats.py`) and returns a drop reason or
None. The runner asks each filter, in order, and counts the reasons it gets back, so every
dropped image is accounted for in `GenerationResult.dropped_by_filter`. Filters drop only
images that are unusable by construction (blank, NaN, near-copies); judging whether labels
are right is a verifier's job (`verify.py`), and verifiers only flag.

    >>> from synthloop.tools.quality import BlankFilter, NearDuplicateFilter
    >>> filters = [BlankFilter(), NearDuplicateFilter(max_distance=4)]
    >>> # generate_samples(ws, policy, specs, generator, filters=filters)
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import ValidationError
from ..generate.base import GeneratedImage


@runtime_checkable
class ImageFilter(Protocol):
    """Decides whether one image is dropped. `needs` names the statistics `check` reads."""

    name: str
    needs: frozenset[str]

    def check(self, image: GeneratedImage, stats: dict[str, float]) -> str | None:
        """A short drop reason ('blank', 'near_duplicate'...) or None to keep the image."""
        ...


class BlankFilter:
    """Drops uniform images (luminance std below `min_std`, e.g. a black frame from a
    diverged diffusion run) and images whose pixels held NaN or inf."""

    name = "blank"
    needs = frozenset({"std", "finite"})

    def __init__(self, min_std: float = 2.0):
        if min_std < 0:
            raise ValidationError(f"min_std must be >= 0, got {min_std}", "use e.g. 2.0")
        self.min_std = min_std
        self.dropped = 0

    def check(self, image: GeneratedImage, stats: dict[str, float]) -> str | None:
        reason = None
        if stats.get("finite", 1.0) < 1.0:
            reason = "nan"
        elif stats["std"] < self.min_std:
            reason = "blank"
        self.dropped += reason is not None
        return reason


class HammingIndex:
    """64-bit hashes with a fast "any within distance d?" query (multi-index hashing:
    two hashes within d differ in at most d of d+1 bands, so they agree exactly on one
    band; only hashes sharing a band value are compared bit by bit)."""

    def __init__(self, max_distance: int):
        self.max_distance = max_distance
        n = max_distance + 1
        self._bands = [(64 * i // n, 64 * (i + 1) // n) for i in range(n)]
        self._tables: list[dict[int, list[int]]] = [{} for _ in self._bands]
        self.size = 0

    def _keys(self, h: int) -> list[int]:
        return [(h >> lo) & ((1 << (hi - lo)) - 1) for lo, hi in self._bands]

    def nearest(self, h: int) -> int | None:
        """The smallest distance to a stored hash, if one is within max_distance."""
        best = None
        for table, key in zip(self._tables, self._keys(h), strict=True):
            for other in table.get(key, ()):
                d = (h ^ other).bit_count()
                if d <= self.max_distance and (best is None or d < best):
                    best = d
        return best

    def add(self, h: int) -> None:
        for table, key in zip(self._tables, self._keys(h), strict=True):
            table.setdefault(key, []).append(h)
        self.size += 1


class NearDuplicateFilter:
    """Drops an image whose perceptual hash (imagehash.phash) is within `max_distance` bits
    of one already kept in this run *that was meant to show the same thing*: the same
    label, classes, coarse box positions and variable values. Look-alikes that differ in
    what they are labelled with (a worker with and without a hard hat in the same spot) or
    in a variable (the same scene with another skin tone) are contrasts the slices need,
    not duplicates; `same_labels_only=False` compares pixels alone. `add_hashes` seeds the
    filter with earlier images' hashes (compared with every image)."""

    name = "near_duplicate"
    needs = frozenset({"phash"})

    def __init__(self, max_distance: int = 4, *, same_labels_only: bool = True):
        if not 0 <= max_distance <= 32:
            raise ValidationError(f"max_distance must be 0..32 bits, got {max_distance}",
                                  "4 catches re-encodes and tiny shifts; 0 only exact hash matches")
        self.max_distance = max_distance
        self.same_labels_only = same_labels_only
        self.seeded = HammingIndex(max_distance)
        self._indexes: dict[tuple, HammingIndex] = {}
        self.dropped = 0

    def add_hashes(self, hashes: list[int]) -> None:
        for h in hashes:
            self.seeded.add(int(h))

    def check(self, image: GeneratedImage, stats: dict[str, float]) -> str | None:
        h = int(stats["phash"])
        key = ground_truth_key(image) if self.same_labels_only else ()
        index = self._indexes.setdefault(key, HammingIndex(self.max_distance))
        if index.nearest(h) is not None or self.seeded.nearest(h) is not None:
            self.dropped += 1
            return "near_duplicate"
        index.add(h)
        return None


def ground_truth_key(image: GeneratedImage, cells: int = 16) -> tuple:
    """What an image is meant to show, coarsely: its label, its variables and each
    object's class and box snapped to a cells x cells grid (1-pixel jitter is the same)."""
    w, h = max(image.width, 1), max(image.height, 1)
    boxes = sorted((a.cls, round(a.box[0] * cells / w), round(a.box[1] * cells / h),
                    round(a.box[2] * cells / w), round(a.box[3] * cells / h))
                   for a in image.annotations)
    return (image.label, tuple(sorted(image.spec.variables.items())), tuple(boxes))


def default_filters(near_duplicate_distance: int = 4) -> list[ImageFilter]:
    """The filters `synthloop generate` uses: blank/NaN, then near-duplicates."""
    return [BlankFilter(), NearDuplicateFilter(near_duplicate_distance)]
