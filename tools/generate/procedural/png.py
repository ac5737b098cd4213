"""A minimal PNG writer for 8-bit RGB images, about twice as fast as Pillow's here.

Pillow tries every PNG row filter for every row; that search was most of the cost of an
image (1.5 ms of a 2 ms clean image, 4 ms for a grainy night one, at 320 px). Rendered
scenes are flat colour areas and vertical gradients, for which the "Up" filter alone (a
vectorised subtraction) compresses as well. The output is a standard PNG (IHDR, one IDAT,
IEND) any decoder reads, and the same pixels always give the same bytes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_rgb_png(pixels: np.ndarray, compress_level: int = 1) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 array: filter 'Up' on every row but the first."""
    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 array, got shape {a.shape}")
    h, w, _ = a.shape
    rows = np.empty((h, w * 3 + 1), dtype=np.uint8)
    flat = a.reshape(h, w * 3)
    rows[0, 0] = 0  # first row: no filter
    rows[0, 1:] = flat[0]
    rows[1:, 0] = 2  # Up: byte minus the byte above, modulo 256
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level)) + _chunk(b"IEND", b""))
