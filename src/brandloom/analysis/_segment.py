"""Sentences and words of any script, for readability and the motivator scores' length.

A *word* is a run of letters and digits, with inner apostrophes and hyphens (``aujourd'hui``,
``e-mail``, ``Fernández-Huerta`` are one word each). Scripts written without spaces between
words (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar) have no word boundary a regular
expression can see, and no dictionary segmenter is shipped: there each *character* is one
unit, so "words per sentence" reads as "characters per sentence" for such text (the usual
length measure for Chinese and Japanese readability). Mixed text counts both: the English
words of a Japanese sentence are words, its kana and ideographs are characters.

A *sentence* ends at ``. ! ? …`` followed by a space (or the end), at the full-width and
ideographic ends ``。！？``, at the Arabic ``؟ ۔``, the Devanagari dandas ``। ॥`` and at every line
break: in marketing copy a headline, a bullet or a button label stands on its own line without
punctuation, and is read as a unit. Thai and Lao separate sentences with a space, so a space
between two Thai (or Lao) letters ends a sentence too. A period followed by a lowercase letter
(``approx. ten``, ``e.g. this``) does not end one. A sentence without any word is not counted.
"""

from __future__ import annotations

import re

# Scripts written without spaces between words (same ranges as brandloom.kit.text).
UNSPACED_CHARS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f"
)
_UNSPACED_RE = re.compile(f"[{UNSPACED_CHARS}]")
# Thai and Lao vowel and tone marks (combining, written above or below a consonant)
_UNSPACED_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd"
_UNSPACED_LETTER = f"(?:(?![{_UNSPACED_MARKS}])[{UNSPACED_CHARS}])"
_ALNUM = f"(?:(?![{UNSPACED_CHARS}])[^\\W_])"
_MARKS = r"[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0900-\u0903\u093a-\u094f]"
# One word of a spaced script: letters/digits (and their combining marks) with inner
# apostrophes or hyphens (a number keeps its decimal point: ``3.5``); or one character of an
# unspaced script (its combining vowel and tone marks are not counted on their own).
_WORD_RE = re.compile(
    r"\d+(?:[.,:]\d+)+(?!\w)|"
    f"{_ALNUM}{_MARKS}*(?:['\u2019\\-]?{_ALNUM}{_MARKS}*)*|{_UNSPACED_LETTER}"
)
_THAI_LAO = "\u0e00-\u0eff"
_SENTENCE_END_RE = re.compile(
    r"[.!?…]+[\"'”’»)\]]*(?=\s|$)"
    r"|[。！？!?]+[」』”’）)]*"
    r"|[؟۔।॥]+"
    r"|\n"
    f"|(?<=[{_THAI_LAO}])\\s+(?=[{_THAI_LAO}])"
)
_LOWER_START_RE = re.compile(r"\s*[\"'“‘«(]*([^\W\d_])")


def base_language(language: str | None) -> str | None:
    """The primary subtag of a language tag, lowercased: ``pt-BR`` -> ``pt``, ``''`` -> None."""
    if not language:
        return None
    primary = re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower()
    return primary or None


def has_unspaced(text: str) -> bool:
    """Whether ``text`` has a character of a script written without spaces between words."""
    return _UNSPACED_RE.search(text) is not None


def is_unspaced_unit(word: str) -> bool:
    """Whether a unit found by :func:`words` is one character of an unspaced script."""
    return len(word) == 1 and _UNSPACED_RE.match(word) is not None


def words(text: str) -> list[str]:
    """The words of ``text`` in order (one unit per character of an unspaced script)."""
    return _WORD_RE.findall(text)


def count_words(text: str) -> int:
    """How many words :func:`words` finds, without building the list."""
    return sum(1 for _ in _WORD_RE.finditer(text))


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that hold at least one word, in order."""
    found: list[str] = []
    start = 0
    for end in _SENTENCE_END_RE.finditer(text):
        if end.group().startswith(".") and _continues_lowercase(text, end.end()):
            continue
        _keep(found, text[start : end.end()])
        start = end.end()
    _keep(found, text[start:])
    return found


def _continues_lowercase(text: str, position: int) -> bool:
    following = _LOWER_START_RE.match(text, position)
    return following is not None and following.group(1).islower()


def _keep(found: list[str], piece: str) -> None:
    if _WORD_RE.search(piece):
        found.append(piece.strip())
