"""What the checks read from a document's HTML (links, image sources, images without ``alt``,
anchors with their text), and the URLs in plain text.

The HTML is read by a real parser (lxml): a link inside a comment, a ``data-href`` or an
``alt`` mentioned in a ``title`` are what they are. A parse costs 30-200 µs per document, more
than all other checks together, so a document is parsed once per *structure*, not once per
document. Contact data is HTML-escaped where it lands (it holds no ``<``, ``>``, quotes or bare
``&``), so it can add no element or attribute: the elements and attributes of a document are
those of its template text, which Jinja hands over apart from the values
(:attr:`~brandloom.templates.engine.Rendered.html_chunks`: template text as ``str``, values as
``Markup``). The template text with a placeholder for each value is the structure's key; it is
parsed once, and per document only the attribute values and anchor texts a value lands in are
put together from the document's values.

A document falls back to a full parse of its own when that reasoning does not hold: the engine
does not tell values apart (Liquid), a value holds raw markup (a ``{% set %}`` block printed
back), or the template puts a value where it could change the markup (a tag or attribute name,
an unquoted attribute value, a doctype).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from typing import NamedTuple

from lxml import etree

__all__ = ["MD_TARGET_RE", "NO_FACTS", "HtmlFacts", "HtmlReader", "parse_html", "text_urls"]

MD_TARGET_RE = re.compile(r"""\]\(\s*<?([^)\s>]+)""")
_TEXT_URL_RE = re.compile(r"""https?://[^\s<>"'`]+""")

# A value's place in a structure's text: private-use characters no escaped value contains.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER_RE = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
# What an escaped value never holds; a value that does may carry markup of its own.
_RAW_RE = re.compile(r"""[<>"']""")
_SPACE_RE = re.compile(r"\s+")
_MAX_STRUCTURES = 512


class HtmlFacts(NamedTuple):
    """What the checks read from one document's HTML, in document order, values decoded and
    stripped. (A named tuple: one is made per document whose links hold values.)"""

    hrefs: tuple[str, ...]  # every element's href (a, area, link, base)
    srcs: tuple[str, ...]  # every element's src
    images_without_alt: tuple[str, ...]  # the src ("" without one) of each img with no alt
    anchors: tuple[tuple[str, str], ...]  # (href, text with spaces collapsed) of each <a href>


NO_FACTS = HtmlFacts((), (), (), ())
_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True
)


def _raw_facts(html: str) -> HtmlFacts:
    """The facts of ``html`` as the parser reads it (values not yet stripped)."""
    if not html.strip():
        return NO_FACTS
    try:
        root = etree.fromstring(html.encode("utf-8", "surrogatepass"), _PARSER)
    except etree.LxmlError:
        return NO_FACTS
    if root is None:
        return NO_FACTS
    hrefs: list[str] = []
    srcs: list[str] = []
    missing_alt: list[str] = []
    anchors: list[tuple[str, str]] = []
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        attrib = element.attrib
        href = attrib.get("href")
        if href is not None:
            hrefs.append(href)
            if tag == "a":
                anchors.append((href, _SPACE_RE.sub(" ", "".join(element.itertext()))))
        src = attrib.get("src")
        if src is not None:
            srcs.append(src)
        if tag == "img" and "alt" not in attrib:
            missing_alt.append(src or "")
    return HtmlFacts(tuple(hrefs), tuple(srcs), tuple(missing_alt), tuple(anchors))


def _stripped(facts: HtmlFacts) -> HtmlFacts:
    return HtmlFacts(
        tuple(v.strip() for v in facts.hrefs),
        tuple(v.strip() for v in facts.srcs),
        tuple(v.strip() for v in facts.images_without_alt),
        tuple((h.strip(), t.strip()) for h, t in facts.anchors),
    )


def parse_html(html: str) -> HtmlFacts:
    """The facts of one HTML document, parsed in full."""
    return _stripped(_raw_facts(html))


# A text values land in: its segments, template text and value indexes.
_Piece = tuple[str | int, ...]
# An entry of a structure's facts: the text itself, or the index of the piece it is made from.
_Entry = str | int


def _value_text(value: str) -> str:
    # Values are escaped: their character references decode as the parser would decode them.
    return unescape(value) if "&" in value else value


def _join(piece: _Piece, values: Sequence[str]) -> str:
    return "".join([s if isinstance(s, str) else _value_text(values[s]) for s in piece])


@dataclass(frozen=True, slots=True)
class _Structure:
    """One parsed structure: its facts, in which an entry a value lands in is the index of
    its piece in ``pieces`` (no pieces: the facts are every document's, shared)."""

    facts: HtmlFacts
    pieces: tuple[_Piece, ...] = ()
    hrefs: tuple[_Entry, ...] = ()
    srcs: tuple[_Entry, ...] = ()
    images_without_alt: tuple[_Entry, ...] = ()
    anchors: tuple[tuple[_Entry, _Entry], ...] = ()

    def facts_for(self, values: Sequence[str]) -> HtmlFacts:
        pieces = self.pieces
        if not pieces:
            return self.facts
        texts = [_join(piece, values) for piece in pieces]
        facts = self.facts
        return HtmlFacts(
            _fill(self.hrefs, texts) if self.hrefs else facts.hrefs,
            _fill(self.srcs, texts) if self.srcs else facts.srcs,
            _fill(self.images_without_alt, texts)
            if self.images_without_alt
            else facts.images_without_alt,
            tuple(
                [
                    (
                        h if isinstance(h, str) else texts[h].strip(),
                        t if isinstance(t, str) else _SPACE_RE.sub(" ", texts[t]).strip(),
                    )
                    for h, t in self.anchors
                ]
            )
            if self.anchors
            else facts.anchors,
        )


def _fill(entries: tuple[_Entry, ...], texts: list[str]) -> tuple[str, ...]:
    return tuple([e if isinstance(e, str) else texts[e].strip() for e in entries])


_UNSAFE = _Structure(NO_FACTS)  # values could change the markup: parse each


def _structure(key: tuple[str | None, ...]) -> _Structure:
    texts: list[str] = []
    index = 0
    for chunk in key:
        if chunk is None:
            texts.append(f"{_OPEN}{index}{_CLOSE}")
            index += 1
        elif _OPEN in chunk or _CLOSE in chunk:
            return _UNSAFE
        else:
            texts.append(chunk)
    masked = "".join(texts)
    if index and not values_are_inert(masked):
        return _UNSAFE
    raw = _raw_facts(masked)
    every = (*raw.hrefs, *raw.srcs, *raw.images_without_alt, *(t for a in raw.anchors for t in a))
    if not any(_OPEN in text for text in every):
        return _Structure(_stripped(raw))
    pieces: list[_Piece] = []

    def entry(text: str, *, anchor_text: bool = False) -> _Entry:
        if _OPEN not in text:
            return _SPACE_RE.sub(" ", text).strip() if anchor_text else text.strip()
        split = _PLACEHOLDER_RE.split(text)
        piece = tuple(int(s) if i % 2 else s for i, s in enumerate(split) if s or i % 2)
        if piece not in pieces:  # an anchor's href is also in hrefs: put together once
            pieces.append(piece)
        return pieces.index(piece)

    hrefs = tuple(entry(v) for v in raw.hrefs)
    srcs = tuple(entry(v) for v in raw.srcs)
    images = tuple(entry(v) for v in raw.images_without_alt)
    anchors = tuple((entry(h), entry(t, anchor_text=True)) for h, t in raw.anchors)

    def dynamic(entries: tuple[_Entry, ...]) -> tuple[_Entry, ...]:
        return entries if any(isinstance(e, int) for e in entries) else ()

    return _Structure(
        _stripped(raw),
        tuple(pieces),
        dynamic(hrefs),
        dynamic(srcs),
        dynamic(images),
        anchors if any(isinstance(e, int) for pair in anchors for e in pair) else (),
    )


_TAG_NAME_RE = re.compile(r"[^\s/>]*")
_ATTR_NAME_RE = re.compile(r"[^\s/>][^\s/>=]*")
_SPACES_RE = re.compile(r"[\s/]*")
_UNQUOTED_RE = re.compile(r"[^\s>]*")
_EQUALS_RE = re.compile(r"\s*=\s*")
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"}
)
# Raw-text elements whose character references are decoded (RCDATA): a value in them reads
# back as it would in text.
_RCDATA = frozenset({"title", "textarea"})
# The end tag of each raw-text element, matched in place: lowercasing the text to search it
# could shift positions ("İ".lower() is two characters).
_RAW_TEXT_END = {name: re.compile(f"</{name}", re.IGNORECASE | re.ASCII) for name in _RAW_TEXT}


def values_are_inert(masked: str) -> bool:
    """Whether every placeholder of ``masked`` sits where an escaped value cannot change the
    markup: in text, a comment, ``<title>`` or ``<textarea>`` text, or a quoted attribute
    value (in ``<script>``, ``<style>`` and the other raw-text elements the parser keeps an
    escaped value's character references as written: such documents are parsed whole).
    Follows the HTML tokenizer's states closely enough for that question; anything it does
    not recognise counts as not inert (the documents are then parsed one by one)."""
    pos = 0
    end = len(masked)
    while pos < end:
        lt = masked.find("<", pos)
        if lt < 0:
            return True  # text to the end
        nxt = masked[lt + 1 : lt + 2]
        if masked.startswith("<!--", lt):
            close = masked.find("-->", lt + 4)
            pos = end if close < 0 else close + 3
        elif nxt in ("!", "?") or (nxt == "/" and masked[lt + 2 : lt + 3].isalpha()):
            close = masked.find(">", lt)
            close = end if close < 0 else close
            if _OPEN in masked[lt:close]:
                return False  # doctype, processing instruction, end tag
            pos = close + 1
        elif nxt.isalpha():
            tag = _start_tag(masked, lt + 1)
            if tag is None:
                return False
            name, pos = tag
            if name in _RAW_TEXT:
                found = _RAW_TEXT_END[name].search(masked, pos)
                close = end if found is None else found.start()
                if name not in _RCDATA and _OPEN in masked[pos:close]:
                    # script, style, ...: the parser keeps character references as written
                    # there, where a value's escaping would be read back decoded
                    return False
                pos = close
        else:
            pos = lt + 1  # a "<" that opens nothing is text
    return True


def _start_tag(masked: str, pos: int) -> tuple[str, int] | None:
    """The lowercased name of the start tag whose name begins at ``pos`` and where the text
    after it begins; None when a placeholder sits in its name, an attribute's name or an
    unquoted attribute value."""
    end = len(masked)
    name_match = _TAG_NAME_RE.match(masked, pos)
    assert name_match is not None
    name = name_match.group()
    if _OPEN in name:
        return None
    pos = name_match.end()
    while True:
        pos = _SPACES_RE.match(masked, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            return name.lower(), end
        if masked[pos] == ">":
            return name.lower(), pos + 1
        attr = _ATTR_NAME_RE.match(masked, pos)
        assert attr is not None
        if _OPEN in attr.group():
            return None
        pos = attr.end()
        after = _EQUALS_RE.match(masked, pos)
        if after is None:
            continue
        pos = after.end()
        quote = masked[pos : pos + 1]
        if quote in ('"', "'"):
            close = masked.find(quote, pos + 1)
            pos = end if close < 0 else close + 1
        else:
            value = _UNQUOTED_RE.match(masked, pos)
            assert value is not None
            if _OPEN in value.group():
                return None
            pos = value.end()


class HtmlReader:
    """Reads the facts of a job's documents, each structure parsed once (see the module's
    docstring). Build once per job. Threads may share one: the worst a race does is parse a
    structure twice."""

    def __init__(self) -> None:
        self._structures: dict[tuple[str | None, ...], _Structure] = {}

    def read(self, html: str, chunks: Sequence[str] | None) -> HtmlFacts:
        """The facts of ``html``; ``chunks`` are the pieces it was joined from (template text
        as ``str``, escaped values as ``Markup``), None when the engine does not tell them."""
        if chunks is None:
            return parse_html(html)
        values = [c for c in chunks if c.__class__ is not str]
        if values and _RAW_RE.search("".join(values)) is not None:
            return parse_html(html)
        structure_key = tuple([c if c.__class__ is str else None for c in chunks])
        structure = self._structures.get(structure_key)
        if structure is None:
            if len(self._structures) >= _MAX_STRUCTURES:
                self._structures.clear()
            structure = self._structures[structure_key] = _structure(structure_key)
        if structure is _UNSAFE:
            return parse_html(html)
        return structure.facts_for(values)


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
