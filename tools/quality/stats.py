"""Cheap image statistics the quality filters need.

A generator that still holds the pixels (the procedural workers do) computes these before
encoding and ships them in `GeneratedImage.stats`, so the runner does not decode every PNG
again just to filter it. `image_stats` is the one definition both sides use, so a filter
reaches the same verdict from shipped stats as from decoded pixels.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

STAT_KEYS = ("phash", "std", "mean", "finite")


def phash_int(img: Image.Image) -> int:
    """imagehash's 64-bit perceptual hash of `img`, as an int."""
    import imagehash

    return int(str(imagehash.phash(img)), 16)


def image_stats(img: Image.Image, keys: tuple[str, ...] | frozenset[str] = STAT_KEYS) -> dict[str, float]:
    """Statistics of an RGB/L image: 'phash' (int), luminance 'std' and 'mean' (0..255),
    'finite' (1.0; decoded images cannot hold NaN, float arrays can: see `array_stats`)."""
    out: dict[str, float] = {}
    if "std" in keys or "mean" in keys:
        lum = np.asarray(img.convert("L"), dtype=np.float32)
        out["std"] = float(lum.std())
        out["mean"] = float(lum.mean())
    if "phash" in keys:
        out["phash"] = phash_int(img)
    if "finite" in keys:
        out["finite"] = 1.0
    return out


def array_stats(arr: np.ndarray, keys: tuple[str, ...] | frozenset[str] = STAT_KEYS) -> dict[str, float]:
    """Statistics of a pixel array (H, W[, C]) of uint8 or float (0..1 or 0..255). Float
    arrays with NaN or inf get finite=0.0 and are not hashed."""
    a = np.asarray(arr)
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            return {"finite": 0.0, "std": 0.0, "mean": 0.0}
        if a.size and float(np.nanmax(a)) <= 1.0:
            a = a * 255.0
        a = np.clip(a, 0, 255).astype(np.uint8)
    img = Image.fromarray(a.astype(np.uint8)).convert("RGB")
    return image_stats(img, keys)


def decode_png(data: bytes) -> Image.Image:
    """Decode image bytes to RGB; raises ValueError when they are not an image."""
    try:
        img = Image.open(io.BytesIO(data))
        return img.convert("RGB")
    except Exception as e:  # PIL raises several unrelated types for bad data
        raise ValueError(f"undecodable image: {type(e).__name__}: {e}") from e
