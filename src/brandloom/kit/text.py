"""Shared text pieces: normalization, a tokenizer aware of unspaced scripts, a phrase matcher and
an HTML-to-text scan. Pure functions, no domain knowledge; QA and text analysis build on them.

Matching rules of :class:`PhraseMatcher`: case-insensitive (Unicode casefolding, so ``STRASSE``
matches ``Straße``), whole words (``free`` does not match ``freedom``), any run of whitespace
matches a space in the phrase, and ``’`` counts as ``'`` (see :func:`normalize`). A phrase in a
script written without spaces between words (Chinese, Japanese, Thai, ...; see
:func:`has_unspaced_script`) is matched as a plain substring, since a tokenizer that splits on
non-word characters sees a whole clause of such text as one word.

Speed notes (these run once per document in bulk jobs): phrases are matched through one
tokenization of each text (a set of casefolded words) and set intersections, so hundreds of
phrases cost about as much as one; multi-word phrases are confirmed with a precompiled regex
only when all their words occur. Texts are tokenized line by line through a bounded
process-wide cache of line scans: the documents of one job share most of their lines (the
template's copy), so those are tokenized once (tests check the result equals tokenizing the
whole text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import reduce
from html import unescape
from operator import or_
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brandloom.errors import BrandloomError

__all__ = [
    "PhraseMatcher",
    "TextScan",
    "decode_utf8",
    "fast_lower",
    "has_unspaced_script",
    "is_word_char",
    "normalize",
    "scan",
    "strip_html",
    "words",
    "zero_digits",
]

_ASCII_NONWORD_BYTES = bytes(
    32 if c < 128 and not (chr(c).isalnum() or c == 95) else c for c in range(256)
)
_NONWORD_RE = re.compile(r"\W+")
# Scripts written without spaces between words: phrases in them match as substrings.
_UNSPACED_RE = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f]"
)


def is_word_char(ch: str) -> bool:
    """Whether ``ch`` is a word character (``\\w``: alphanumeric or ``_``)."""
    return ch.isalnum() or ch == "_"


def has_unspaced_script(text: str) -> bool:
    """Whether ``text`` has characters of a script written without spaces between words
    (Thai, Lao, Myanmar, Khmer, kana, CJK ideographs, half-width katakana)."""
    return _UNSPACED_RE.search(text) is not None


def normalize(text: str) -> str:
    """The form texts and phrases are compared in: casefolded, ``’`` read as ``'``."""
    folded = text.casefold()
    if "\u2019" in folded:
        folded = folded.replace("\u2019", "'")
    return folded


@dataclass(slots=True)
class TextScan:
    """A text prepared for matching: its normalized form and set of words, plus what the spam
    score counts in it: ASCII letters, ASCII capitals and ``marks`` (1: ``!!!``, 2: ``$$$``)."""

    folded: str
    words: AbstractSet[str]
    letters: int = 0
    upper: int = 0
    marks: int = 0


def words(folded: str) -> frozenset[str]:
    """The maximal runs of ``\\w`` characters of (normalized) text."""
    # Blank out ASCII non-word characters in one bytes.translate (the UTF-8 bytes of other
    # characters are >= 0x80 and stay), split on whitespace (all of it is \W), and re-split
    # with the regex only the few tokens that are not pure ASCII. Same result as
    # ``set(_NONWORD_RE.sub(" ", folded).split())``, several times faster.
    blanked = folded.encode("utf-8", "surrogatepass").translate(_ASCII_NONWORD_BYTES)
    if folded.isascii():
        return frozenset(blanked.decode("ascii").split())
    found = set(blanked.decode("utf-8", "surrogatepass").split())
    odd = [word for word in found if not word.isascii()]
    if odd:
        found.difference_update(odd)
        for word in odd:
            found.update(_NONWORD_RE.sub(" ", word).split())
    return frozenset(found)


# Line -> its TextScan fields. Casefolding maps each character on its own, "\n" is not a word
# character, and neither letters nor "!!!"/"$$$" span a line break, so a text's scan is made of
# its lines' scans; documents of one job share most of their lines (the template's copy), so
# those are scanned once.
_LINE_CACHE_LIMIT = 2048
_LINE_CACHE_MAX_CHARS = 4096
_LineScan = tuple[str, frozenset[str], int, int, int]
_line_scans: dict[str, _LineScan] = {}
_LETTER_CLASSES = bytes(85 if 65 <= b <= 90 else 108 if 97 <= b <= 122 else 0 for b in range(256))


def _scan_line(line: str) -> _LineScan:
    found = _line_scans.get(line)
    if found is None:
        folded = line.casefold()
        if "\u2019" in folded:
            folded = folded.replace("\u2019", "'")  # as normalize()
        # ASCII capitals -> "U", other ASCII letters -> "l", anything else (including every
        # byte of a non-ASCII character) -> NUL; then count.
        classes = line.encode("utf-8", "surrogatepass").translate(_LETTER_CLASSES)
        upper = classes.count(85)
        marks = ("!!!" in line) | ("$$$" in line) << 1
        found = (folded, words(folded), upper + classes.count(108), upper, marks)
        if len(line) <= _LINE_CACHE_MAX_CHARS:
            if len(_line_scans) >= _LINE_CACHE_LIMIT:
                _line_scans.clear()
            _line_scans[line] = found
    return found


def scan(text: str) -> TextScan:
    """Normalize ``text`` and collect its words (see :func:`words`) and counts, line by line."""
    if "\n" not in text:
        return TextScan(*_scan_line(text))
    lines = text.split("\n")
    found: list[_LineScan | None] = list(map(_line_scans.get, lines))
    if None in found:  # scan the lines not in the cache (the loop only visits those)
        index = found.index(None)
        try:
            while True:
                found[index] = _scan_line(lines[index])
                index = found.index(None, index + 1)
        except ValueError:
            pass
    folded, tokens, letters, upper, marks = zip(*found, strict=True)
    return TextScan(
        "\n".join(folded), set().union(*tokens), sum(letters), sum(upper), reduce(or_, marks)
    )


@dataclass(frozen=True, slots=True)
class _Multi:
    index: int
    words: frozenset[str]
    pattern: re.Pattern[str]
    left_boundary: bool


class PhraseMatcher:
    """Finds which of many phrases occur in a :class:`TextScan` (see the module doc for rules).

    ``labels`` are the distinct phrases (stripped; duplicates under normalization dropped);
    :meth:`find` answers with their indexes.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        self.labels: list[str] = []
        self._single: dict[str, int] = {}
        self._by_anchor: dict[str, list[_Multi]] = {}
        self._substrings: list[tuple[int, str]] = []
        seen: set[str] = set()
        for phrase in phrases:
            key = " ".join(normalize(phrase).split())
            if not key or key in seen:
                continue
            seen.add(key)
            index = len(self.labels)
            self.labels.append(phrase.strip())
            tokens = _NONWORD_RE.sub(" ", key).split()
            if not tokens or has_unspaced_script(key):
                self._substrings.append((index, key))
            elif tokens == [key]:
                self._single[key] = index
            else:
                body = r"\s+".join(re.escape(w) for w in key.split(" "))
                if is_word_char(key[-1]):
                    body += r"(?!\w)"
                multi = _Multi(index, frozenset(tokens), re.compile(body), is_word_char(key[0]))
                anchor = max(tokens, key=len)
                self._by_anchor.setdefault(anchor, []).append(multi)
        self._single_keys = frozenset(self._single)
        self._anchor_keys = frozenset(self._by_anchor)

    def __len__(self) -> int:
        return len(self.labels)

    def find(self, scanned: TextScan) -> set[int]:
        """The indexes (into ``labels``) of the phrases that occur in the scanned text."""
        tokens = scanned.words
        found = {self._single[w] for w in self._single_keys.intersection(tokens)}
        for anchor in self._anchor_keys.intersection(tokens):
            for multi in self._by_anchor[anchor]:
                if (
                    multi.index not in found
                    and multi.words <= tokens
                    and _confirm(multi, scanned.folded)
                ):
                    found.add(multi.index)
        for index, needle in self._substrings:
            if needle in scanned.folded:
                found.add(index)
        return found


def _confirm(multi: _Multi, text: str) -> bool:
    for match in multi.pattern.finditer(text):
        start = match.start()
        if not multi.left_boundary or start == 0 or not is_word_char(text[start - 1]):
            return True
    return False


# --- HTML ------------------------------------------------------------------------------------

_STRIP_BLOCKS_RE = re.compile(
    r"<(style|script|head|title)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_TAG_RE = re.compile(r"<[^>]*>")
_ASCII_BYTES = bytes(range(128))


def strip_html(html: str) -> str:
    """The text of an HTML document: style, script, head and title blocks and comments
    removed, every tag replaced by a space, character references decoded."""
    text = _TAG_RE.sub(" ", _STRIP_BLOCKS_RE.sub(" ", html))
    return unescape(text) if "&" in text else text


def fast_lower(text: str) -> str:
    """``text.lower()``, much faster for mostly-ASCII text with only caseless other characters.

    ``str.lower`` goes character by character through the Unicode tables as soon as one
    character is not ASCII. When every non-ASCII character lowercases to itself, the result
    is the text with only its ASCII letters lowered, which ``bytes.lower`` does on the UTF-8
    encoding (multi-byte sequences are all >= 0x80 and untouched). Otherwise (say, for an
    uppercase non-ASCII letter) this is ``text.lower()`` itself.
    """
    if text.isascii():
        return text.lower()
    data = text.encode("utf-8", "surrogatepass")
    others = data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    if others.lower() != others:
        return text.lower()
    return data.lower().decode("utf-8", "surrogatepass")


def decode_utf8(data: bytes, source: str, *, error: type[BrandloomError]) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped); ``error`` naming ``source`` and the
    line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{source}, line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def zero_digits(text: str) -> str:
    """``text`` with every decimal digit, of any script (``٣``, ``३``), written as ``0``
    (lengths and positions unchanged)."""
    # str.translate goes character by character; on the bytes it is one table lookup per byte
    # (4x faster on ASCII text; ASCII digits never occur inside a multi-byte UTF-8 sequence)
    if text.isascii():
        return text.encode("ascii").translate(_BYTE_ZEROS).decode("ascii")
    encoded = text.encode("utf-8", "surrogatepass").translate(_BYTE_ZEROS)
    text = encoded.decode("utf-8", "surrogatepass")
    # every other script's digits start with one of a few UTF-8 lead bytes, none of them
    # Latin, Greek, Cyrillic or common punctuation: most copy needs no character scan at all
    if encoded.translate(None, _NOT_LEADS):  # what is left are the lead bytes: one C pass
        return _OTHER_DIGIT.sub("0", text)
    return text


_BYTE_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_OTHER_DIGIT = re.compile(r"[^\D0-9]")  # a digit of another script
# The first UTF-8 byte of every decimal digit outside ASCII (Unicode category Nd), from
# U+0660 ARABIC-INDIC DIGIT ZERO to the mathematical digits (tests/kit check it stays complete).
_DIGIT_LEADS = tuple(bytes([lead]) for lead in (0xD9, 0xDB, 0xDF, 0xE0, 0xE1, 0xEA, 0xEF, 0xF0))
_NOT_LEADS = bytes(byte for byte in range(256) if bytes([byte]) not in _DIGIT_LEADS)
