"""Small builders for brand tests: logos made of real bytes, guidelines, library files."""

from __future__ import annotations

import struct
import zlib
from typing import Any


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` white pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff" * 3 * width for _ in range(min(height, 64)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    b'<rect width="120" height="40" fill="#0A6E5C"/><text x="10" y="26">Lumen</text></svg>'
)

GUIDELINES: dict[str, Any] = {
    "brand_name": "Lumen & Loom",
    "tone": ["warm", "calm"],
    "banned_terms": ["guaranteed", "act now"],
    "glossary": {"cheap": "affordable"},
    "required_disclaimers": {"email": ["Terms apply."]},
    "exclamation": "max_1",
}

# Texts in one voice, enough for a profile (each distinct).
LIBRARY = [
    "Slow mornings start with a warm cup and a quiet plan for the day.",
    "Our linen throws are woven slowly, so they soften with every wash.",
    "Take a breath. The new autumn collection is here, and it is calm.",
    "We make fewer things, and we make them to last for years.",
    "A quiet home is a kind home: soft light, soft fabrics, soft sounds.",
    "Your order is on its way, wrapped in paper you can plant.",
    "Rest is not a reward. It is where good days begin.",
    "Meet the wool blanket that our customers call a hug in cloth.",
    "Every stitch is made by people we know by name.",
    "Light a candle, open a book, and let the evening stretch out.",
    "Good things take time, and so does good linen.",
    "Thank you for choosing slow, honest, beautiful things.",
]
