"""Where links and images are found: attribute values in HTML, URLs in text."""

from __future__ import annotations

import re
from html import unescape

HREF_RE = re.compile(r"""href\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
SRC_RE = re.compile(r"""src\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
ALT_RE = re.compile(r"""\salt(?:\s*=|[\s/>]|$)""")
MD_TARGET_RE = re.compile(r"""\]\(\s*<?([^)\s>]+)""")
_TEXT_URL_RE = re.compile(r"""https?://[^\s<>"'`]+""")


def attribute_values(html: str, lowered: str, pattern: re.Pattern[str]) -> list[str]:
    """The values of one attribute (``pattern``, matched in the lowercased HTML), read from
    the original HTML where lowercasing kept the offsets, with ``&amp;`` and other character
    references decoded."""
    source = html if len(lowered) == len(html) else lowered
    values = []
    for match in pattern.finditer(lowered):
        start, end = match.span(1)
        value = source[start:end]
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        if "&" in value:
            value = value.replace("&amp;", "&")  # by far the most common entity in URLs
            if "&" in value and ";" in value:
                value = unescape(value)
        values.append(value.strip())
    return values


def text_urls(text: str) -> list[str]:
    """The http(s) URLs in plain text, without trailing punctuation or unbalanced brackets."""
    urls = []
    if "://" in text:
        for url in _TEXT_URL_RE.findall(text):
            url = url.rstrip(".,;:!?'\"")
            if url.endswith(")") and "(" not in url:
                url = url.rstrip(")")
            if url.endswith("]") and "[" not in url:
                url = url.rstrip("]")
            urls.append(url)
    return urls
