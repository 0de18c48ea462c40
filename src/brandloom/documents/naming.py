"""Safe, collision-free file names derived from contact keys."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from brandloom.documents.formats.registry import get_format

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


def path_for(fmt: str) -> Callable[[str], str]:
    """Where documents of format ``fmt`` go, from their file stem: ``<fmt>/<stem>.<extension>``.

    The format is looked up once: a job gets this per format, then calls it per document.
    """
    folder, extension = fmt, get_format(fmt).extension

    def path(stem: str) -> str:
        return f"{folder}/{stem}.{extension}"

    return path


def relative_path(fmt: str, stem: str) -> str:
    """Where the ``fmt`` document of a file stem goes, relative to the output folder."""
    return path_for(fmt)(stem)
