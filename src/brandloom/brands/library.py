"""Content-library files read into texts (pure: no database).

A file gives one :class:`LibraryText` or :class:`RejectedText` per text it holds, in file order:

* ``txt``: one text per line; a file whose texts are separated by blank lines is read one
  text per paragraph (its lines joined by spaces). Blank lines are never texts.
* ``csv`` / ``tsv``: a ``text`` column (required), optional ``channel`` and ``locale``;
  rows are numbered from 1 after the header.
* ``md``: one text per paragraph, heading or list item, Markdown syntax stripped (emphasis,
  links, images by their alt text); code blocks, raw HTML and front matter are left out.
* ``html``: the text of each block (paragraph, heading, list item, cell, ...); scripts,
  styles and the head are left out.
* ``jsonl``: one object per line, ``{"text", "channel"?, "locale"?}``; other keys are ignored.

Rows that cannot be texts are rejected with their line (row for CSV) and the reason: an empty
text, bad JSON, a text over ``MAX_TEXT_CHARS``, an unknown locale, a malformed channel. What
makes the whole file unreadable (an unknown format, not UTF-8, a CSV without a ``text``
column) raises :class:`~brandloom.brands.errors.LibraryError`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

import orjson
from lxml import etree
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from brandloom.brands.errors import LibraryError
from brandloom.kit.hashing import sha256_hex
from brandloom.kit.locale import parse_locale
from brandloom.kit.text import decode_utf8

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "MAX_TEXT_CHARS",
    "LibraryText",
    "RejectedText",
    "check_channel",
    "check_locale",
    "library_format",
    "normalized_sha256",
    "read_library",
]

FORMATS = ("txt", "csv", "tsv", "md", "html", "jsonl")
EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".csv": "csv",
    ".tsv": "tsv",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
MAX_TEXT_CHARS = 20_000
"""Characters per library text: a piece of copy, not a book."""

_CHANNEL = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "body", "html",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})


@dataclass(frozen=True, slots=True)
class LibraryText:
    """One accepted text; ``position`` is its line (its row in a CSV file)."""

    position: int
    text: str
    channel: str | None
    locale: str | None


@dataclass(frozen=True, slots=True)
class RejectedText:
    """A text that cannot be stored: where it is (``unit`` ``line`` or ``row``) and why."""

    unit: Literal["line", "row"]
    position: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {self.unit: self.position, "reason": self.reason}


Item = LibraryText | RejectedText


def library_format(filename: str | None, given: str | None = None) -> str:
    """The format named by ``given``, else by the file name's extension."""
    if given:
        fmt = given.strip().lower().lstrip(".")
        fmt = {"text": "txt", "markdown": "md", "htm": "html", "ndjson": "jsonl"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise LibraryError(f"format: unknown format {given!r} (formats: {', '.join(FORMATS)})")
        return fmt
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in EXTENSIONS:
        raise LibraryError(
            f"{filename or 'upload'}: cannot tell the format from the extension "
            f"{suffix or '(none)'!r}; use {', '.join(sorted(EXTENSIONS))} or name the format "
            f"({', '.join(FORMATS)})"
        )
    return EXTENSIONS[suffix]


def normalized_sha256(text: str) -> str:
    """The SHA-256 two texts share when they differ only in whitespace (or its kind) and in
    Unicode composition: how duplicates are told."""
    return sha256_hex(" ".join(unicodedata.normalize("NFC", text).split()))


def check_channel(value: str | None, *, where: str = "channel") -> str | None:
    """A channel name (``email``, ``sms``, ``social``, ...): lower-case, at most 40
    characters of letters, digits, ``_``, ``.`` and ``-``; None for an empty value."""
    if value is None or not value.strip():
        return None
    channel = value.strip().lower()
    if not _CHANNEL.fullmatch(channel):
        raise ValueError(
            f"{where}: {value!r} is not a channel name (letters, digits, '_', '.', '-'; at most 40)"
        )
    return channel


def check_locale(value: str | None, *, where: str = "locale") -> str | None:
    """The BCP 47 form of a locale CLDR knows (``de_de`` -> ``de-DE``); None for an empty
    value."""
    if value is None or not value.strip():
        return None
    found = parse_locale(value.strip())
    if found is None:
        raise ValueError(f"{where}: unknown locale {value!r} (a BCP 47 tag like de-DE)")
    return found.tag


def _decode(data: bytes, source: str) -> str:
    return decode_utf8(data, source, error=LibraryError)


def read_library(
    data: bytes,
    *,
    format: str,
    source: str,
    channel: str | None = None,
    locale: str | None = None,
) -> Iterator[Item]:
    """Every text of a library file, in order; ``channel`` and ``locale`` apply to texts whose
    row does not name its own (checked first: a bad one raises ``LibraryError``)."""
    try:
        default_channel = check_channel(channel)
        default_locale = check_locale(locale)
    except ValueError as exc:
        raise LibraryError(str(exc)) from None
    text = _decode(data, source)
    if format == "txt":
        raw: Iterator[tuple[str, int, Any, Any, str | None]] = _txt(text)
    elif format in ("csv", "tsv"):
        raw = _csv(text, source, tab=format == "tsv")
    elif format == "md":
        raw = _markdown(text)
    elif format == "html":
        raw = _html(text)
    elif format == "jsonl":
        raw = _jsonl(text)
    else:
        raise LibraryError(f"format: unknown format {format!r} (formats: {', '.join(FORMATS)})")
    unit: Literal["line", "row"] = "row" if format in ("csv", "tsv") else "line"
    for body, position, row_channel, row_locale, problem in raw:
        if problem is not None:
            yield RejectedText(unit, position, problem)
            continue
        yield _checked(
            body,
            unit,
            position,
            row_channel if row_channel not in (None, "") else default_channel,
            row_locale if row_locale not in (None, "") else default_locale,
        )


def _checked(
    body: str, unit: Literal["line", "row"], position: int, channel: Any, locale: Any
) -> Item:
    text = unicodedata.normalize("NFC", body).strip()
    if not text:
        return RejectedText(unit, position, "empty text")
    if "\x00" in text:
        return RejectedText(unit, position, "the text holds a NUL character")
    if len(text) > MAX_TEXT_CHARS:
        return RejectedText(
            unit, position, f"too long: {len(text):,} characters; at most {MAX_TEXT_CHARS:,}"
        )
    if channel is not None and not isinstance(channel, str):
        return RejectedText(unit, position, "channel: must be text")
    if locale is not None and not isinstance(locale, str):
        return RejectedText(unit, position, "locale: must be text")
    try:
        return LibraryText(position, text, check_channel(channel), check_locale(locale))
    except ValueError as exc:
        return RejectedText(unit, position, str(exc))


# Each reader yields (text, position, channel, locale, problem or None).
_Raw = tuple[str, int, Any, Any, str | None]


def _txt(text: str) -> Iterator[_Raw]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blank = [not line.strip() for line in lines]
    filled = [i for i, is_blank in enumerate(blank) if not is_blank]
    paragraphs = bool(filled) and any(blank[filled[0] : filled[-1]])
    if not paragraphs:
        for index in filled:
            yield lines[index], index + 1, None, None, None
        return
    start: int | None = None
    for index, is_blank in enumerate([*blank, True]):
        if not is_blank and start is None:
            start = index
        elif is_blank and start is not None:
            body = " ".join(line.strip() for line in lines[start:index])
            yield body, start + 1, None, None, None
            start = None


def _csv(text: str, source: str, *, tab: bool) -> Iterator[_Raw]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab else ",")
    header = next(reader, None)
    if header is None:
        raise LibraryError(f"{source}: empty file; expected a header row with a 'text' column")
    names = [name.strip().lower() for name in header]
    if "text" not in names:
        raise LibraryError(
            f"{source}, line 1: no 'text' column (columns: {', '.join(header) or 'none'})"
        )
    column: dict[str, int] = {
        name: names.index(name) for name in ("text", "channel", "locale") if name in names
    }

    def cell(row: list[str], name: str) -> str | None:
        index = column.get(name)
        return row[index] if index is not None and index < len(row) else None

    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield "", number, None, None, f"unreadable record (line {reader.line_num}): {exc}"
            return  # the csv module cannot resume after a broken quote
        if not row:
            continue  # a completely empty line is not a row
        number += 1
        yield cell(row, "text") or "", number, cell(row, "channel"), cell(row, "locale"), None


def _jsonl(text: str) -> Iterator[_Raw]:
    for index, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield "", index, None, None, f"not valid JSON: {exc}"
            continue
        if not isinstance(value, dict):
            yield "", index, None, None, 'expected an object like {"text": "..."}'
            continue
        body = value.get("text")
        if body is None:
            yield "", index, None, None, "no 'text' key"
            continue
        if not isinstance(body, str):
            yield "", index, None, None, "text: must be a string"
            continue
        yield body, index, value.get("channel"), value.get("locale"), None


_MARKDOWN = MarkdownIt("commonmark")


def _markdown(text: str) -> Iterator[_Raw]:
    offset = 0
    front = _FRONT_MATTER.match(text)
    if front is not None:
        offset = front.group(0).count("\n")
        text = text[front.end() :]
    for token in _MARKDOWN.parse(text):
        if token.type != "inline" or token.map is None:
            continue
        parts: list[str] = []
        for child in token.children or ():
            if child.type in ("text", "code_inline", "image"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        body = " ".join("".join(parts).split())
        if body:
            yield body, token.map[0] + 1 + offset, None, None, None


class _Blocks:
    """The text of an HTML tree gathered block by block (an ``iterwalk``'s events)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line = 1

    def flush(self) -> _Raw | None:
        body = " ".join("".join(self.parts).split())
        self.parts.clear()
        return (body, self.line, None, None, None) if body else None

    def add(self, text: str | None, element: Any) -> None:
        if text:
            if not self.parts:
                self.line = element.sourceline or self.line
            self.parts.append(text)

    def start(self, tag: str, element: Any) -> _Raw | None:
        done = self.flush() if tag in _BLOCK_TAGS else None
        if tag == "br":
            self.add(" ", element)
        elif tag == "img" and element.get("alt"):
            self.add(f" {element.get('alt')} ", element)
        self.add(element.text, element)
        return done

    def end(self, tag: str, element: Any) -> _Raw | None:
        done = self.flush() if tag in _BLOCK_TAGS else None
        self.add(element.tail, element)
        return done


def _html(text: str) -> Iterator[_Raw]:
    if not text.strip():
        return
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return
    blocks = _Blocks()
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start" and (not tag or tag in _SKIP_TAGS):
            walker.skip_subtree()  # not copy (comments too); the tail is read at its "end"
            continue
        done = blocks.start(tag, element) if event == "start" else blocks.end(tag, element)
        if done is not None:
            yield done
    if (done := blocks.flush()) is not None:
        yield done
