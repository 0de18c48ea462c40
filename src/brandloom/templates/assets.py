"""A template's assets: the image files its ``typst`` part may place (``#image("logo.png")``).

Assets are stored with the template (base64 in the ``template.assets`` column, loaded only when
read), so every worker renders with the same files and no worker reads a path a spec names.
A name is a plain file name with an image extension; the bytes must look like that image.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from brandloom.errors import ValidationFailed
from brandloom.kit.hashing import sha256_hex

__all__ = [
    "ASSET_SUFFIXES",
    "MAX_ASSETS",
    "MAX_ASSET_BYTES",
    "asset_digests",
    "check_assets",
    "decode_assets",
    "encode_assets",
]

#: An asset's largest size, and how many a template may have.
MAX_ASSET_BYTES = 2 * 1024 * 1024
MAX_ASSETS = 32

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# suffix -> what the file starts with (SVG: an XML document, after any BOM and white space)
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".svg": (b"<",),
}
ASSET_SUFFIXES = tuple(_MAGIC)


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="template.asset")


def check_assets(assets: Mapping[str, bytes] | None) -> dict[str, bytes]:
    """The assets, checked: plain image file names, at most :data:`MAX_ASSETS` files of at most
    :data:`MAX_ASSET_BYTES` each, contents that are what their names say. Raises
    ``ValidationFailed`` (``template.asset``) naming the file."""
    checked: dict[str, bytes] = {}
    if len(assets or {}) > MAX_ASSETS:
        raise _fail(f"assets: at most {MAX_ASSETS} files")
    for name, data in sorted((assets or {}).items()):
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        if not _NAME.fullmatch(name) or suffix not in _MAGIC:
            raise _fail(
                f"assets: {name!r} is not an image file name (letters, digits, '.', '-', '_'; "
                f"one of {', '.join(ASSET_SUFFIXES)})"
            )
        if len(data) > MAX_ASSET_BYTES:
            raise _fail(f"assets: {name} is larger than {MAX_ASSET_BYTES} bytes")
        head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n") if suffix == ".svg" else data
        if not head.startswith(_MAGIC[suffix]) or (suffix == ".webp" and data[8:12] != b"WEBP"):
            raise _fail(f"assets: {name} is not a {suffix[1:].upper()} image")
        checked[name] = bytes(data)
    return checked


def asset_digests(assets: Mapping[str, bytes]) -> dict[str, str]:
    """Name -> SHA-256 of the bytes (what identifies a template's assets)."""
    return {name: sha256_hex(data) for name, data in sorted(assets.items())}


def encode_assets(assets: Mapping[str, bytes]) -> dict[str, str] | None:
    """As stored: name -> base64 text (None without assets)."""
    return {name: base64.b64encode(data).decode("ascii") for name, data in assets.items()} or None


def decode_assets(stored: Mapping[str, str] | None) -> dict[str, bytes]:
    """The stored assets back as bytes."""
    try:
        return {
            name: base64.b64decode(text, validate=True) for name, text in (stored or {}).items()
        }
    except (binascii.Error, ValueError):
        raise _fail("assets: a stored asset is not valid base64") from None
