"""Real image files made by tests (no image library needed): a PNG "signature" with pen strokes."""

from __future__ import annotations

import math
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def signature_png(width: int = 240, height: int = 80, *, seed: int = 1) -> bytes:
    """A greyscale PNG with a wavy dark stroke on white, different for each ``seed``."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            centre = height / 2 + (height / 3) * math.sin((x + seed * 17) / (9 + seed % 5))
            row.append(20 if abs(y - centre) < 2.2 else 255)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
