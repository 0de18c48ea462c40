"""Low-level OOXML helpers: XML text escaping and a deterministic, precompressing zip writer.

A package is written as a list of :class:`ZipEntry` objects, each holding its local header and
its (already deflated) payload, so parts that are the same for every document are compressed
once and copied as bytes. Entries carry a fixed timestamp (1980-01-01 00:00) and no extra
fields: the same entries in the same order always give the same bytes.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = [
    "INVALID_XML_CHARS",
    "ZipEntry",
    "build_zip",
    "make_entry",
    "w3cdtf",
    "xml_attr",
    "xml_text",
]

#: Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escape ``value`` for XML text or a double-quoted attribute; drop invalid characters.

    ``\\r\\n`` and lone ``\\r`` become ``\\n`` (what an XML parser would make of them anyway).
    """
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if INVALID_XML_CHARS.search(value) is not None:
        value = INVALID_XML_CHARS.sub("", value)
    return value


def xml_attr(value: str) -> str:
    """Escape for a double-quoted attribute value (newlines and tabs kept as references)."""
    value = xml_text(value)
    if "\n" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def w3cdtf(moment: datetime) -> str:
    """``2025-03-01T09:30:00Z``: UTC, whole seconds (naive datetimes are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- zip ------------------------------------------------------------------------------------

_DOS_TIME = 0  # 00:00:00
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEAD = struct.Struct("<IHHHHHHIIIHHHHHI")
_END = struct.Struct("<IHHHHIIH")
_STORED = 0
_DEFLATED = 8
_UTF8_FLAG = 0x0800
_MAX_32 = 0xFFFFFFFF


class ZipEntry:
    """One file of a package, ready to be copied into any number of archives."""

    __slots__ = ("central_head", "local", "name", "raw_name", "size")

    def __init__(self, name: str, local: bytes, central_head: bytes, size: int) -> None:
        self.name = name
        self.raw_name = name.encode("utf-8")
        self.local = local  # local file header + name + compressed payload
        self.central_head = central_head  # central directory record up to the offset field
        self.size = size  # uncompressed size

    def __repr__(self) -> str:
        return f"ZipEntry({self.name!r}, {self.size} bytes)"


def make_entry(name: str, data: bytes, level: int = 6) -> ZipEntry:
    """Compress ``data`` once (or store it when deflate does not help)."""
    if len(data) > _MAX_32:
        raise ValueError(f"{name}: part too large for a zip without zip64")
    crc = zlib.crc32(data)
    method = _STORED
    payload = data
    if level and data:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
        packed = compressor.compress(data) + compressor.flush()
        if len(packed) < len(data):
            method, payload = _DEFLATED, packed
    raw_name = name.encode("utf-8")
    flags = 0 if raw_name.isascii() else _UTF8_FLAG
    version = 20
    local = (
        _LOCAL.pack(
            0x04034B50,
            version,
            flags,
            method,
            _DOS_TIME,
            _DOS_DATE,
            crc,
            len(payload),
            len(data),
            len(raw_name),
            0,
        )
        + raw_name
        + payload
    )
    central_head = _CENTRAL_HEAD.pack(
        0x02014B50,
        version,  # made by: MS-DOS, 2.0 (no Unix permissions: nothing host-specific)
        version,
        flags,
        method,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        len(payload),
        len(data),
        len(raw_name),
        0,  # extra length
        0,  # comment length
        0,  # disk number
        0,  # internal attributes
        0,  # external attributes
    )
    return ZipEntry(name, local, central_head, len(data))


def build_zip(entries: Iterable[ZipEntry]) -> bytes:
    """The archive of ``entries`` in the given order."""
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    count = 0
    for entry in entries:
        chunks.append(entry.local)
        central.append(entry.central_head)
        central.append(struct.pack("<I", offset))
        central.append(entry.raw_name)
        offset += len(entry.local)
        count += 1
    directory = b"".join(central)
    if offset > _MAX_32 or count > 0xFFFF:
        raise ValueError("package too large for a zip without zip64")
    chunks.append(directory)
    chunks.append(_END.pack(0x06054B50, 0, 0, count, count, len(directory), offset, 0))
    return b"".join(chunks)
