"""Safe, collision-free file names derived from contact keys."""

from __future__ import annotations

import hashlib
import re

EXTENSIONS = {
    "html": "html",
    "txt": "txt",
    "md": "md",
    "sms": "txt",
    "eml": "eml",
    "pdf": "pdf",
    "docx": "docx",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.IGNORECASE)
MAX_STEM = 80


def file_stem(key: str) -> str:
    """A file-name stem for a contact key: never a path, never hidden, unique per key.

    Keys that are already safe lower-case names are used as they are. Anything else (path
    separators, ``..``, control or non-ASCII characters, upper case that would collide on
    case-insensitive file systems, Windows device names, long keys) is sanitized and gets a short
    hash of the original key, so two different keys can never map to the same file.
    """
    cleaned = _UNSAFE.sub("_", key).strip("._")[:MAX_STEM]
    if (
        cleaned
        and cleaned == key
        and key == key.lower()
        and ".." not in key
        and not _RESERVED.match(key)
    ):
        return cleaned
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{cleaned or 'contact'}-{digest}"


def relative_path(fmt: str, stem: str) -> str:
    return f"{fmt}/{stem}.{EXTENSIONS[fmt]}"
