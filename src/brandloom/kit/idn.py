"""Internationalized domain names -> ASCII (A-labels), validated as LDH host names (e-mail
headers, link checks)."""

from __future__ import annotations

import re
from functools import lru_cache

try:  # IDNA 2008 + UTS 46 mapping when the ``idna`` package is available.
    import idna as _idna
except ImportError:  # pragma: no cover - the stdlib codec (IDNA 2003) is the fallback
    _idna = None  # type: ignore[assignment]

__all__ = ["domain_to_ascii"]

_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


@lru_cache(maxsize=4096)
def domain_to_ascii(domain: str) -> str | None:
    """Lower-case ASCII form of ``domain`` (punycode for IDN labels), or None when invalid.

    A trailing dot is dropped. Every label must be letters/digits/hyphens, 1-63 chars, not
    starting or ending with a hyphen; the whole name at most 253 chars.
    """
    name = domain[:-1] if domain.endswith(".") else domain
    if not name or len(name) > 253 * 4:
        return None
    if name.isascii():
        ascii_name = name.lower()
    else:
        try:
            if _idna is not None:
                ascii_name = _idna.encode(name, uts46=True).decode("ascii").lower()
            else:  # pragma: no cover
                ascii_name = name.encode("idna").decode("ascii").lower()
        except (UnicodeError, ValueError):
            return None
    if len(ascii_name) > 253:
        return None
    for label in ascii_name.split("."):
        if _LABEL_RE.fullmatch(label) is None:
            return None
    return ascii_name
