"""Readability with the formula made for each language, and a US grade equivalent.

Formulas (``formula``), by primary language subtag; WPS: words per sentence, SPW: syllables per
word, ``grade``: a US grade equivalent (below):

- en, ``flesch``: Flesch reading ease, 206.835 - 1.015 WPS - 84.6 SPW (0-100, higher is
  easier); grade: Flesch-Kincaid, 0.39 WPS + 11.8 SPW - 15.59.
- de, ``amstad``: Amstad, 180 - WPS - 58.5 SPW.
- es, ``fernandez_huerta``: Fernández Huerta, corrected, 206.84 - 60 SPW - 1.02 WPS.
- fr, ``kandel_moles``: Kandel-Moles, 207 - 1.015 WPS - 73.6 SPW.
- it, ``gulpease``: Gulpease, 89 + (300 sentences - 10 letters) / words (0-100).
- pt, ``flesch_martins``: Flesch adapted by Martins et al. (1996), 248.835 - 1.015 WPS - 84.6 SPW.
- nl, ``flesch_douma``: Flesch-Douma, 206.835 - 0.93 WPS - 77 SPW.
- any other language written in the Latin, Greek or Cyrillic alphabet (sv, da, no, pl, ru...),
  or no language given, ``lix``: LIX, WPS + 100 x long words / words (long: more than six
  letters; about 20 very easy to 60 very hard). It needs no syllables.
- text mostly in other scripts (Chinese, Japanese, Thai, Arabic, Hebrew, Korean...), whatever
  the language given: no formula (``formula``, ``score`` and ``grade`` are None).

WPS: words per sentence; SPW: syllables per word (see :mod:`brandloom.analysis._segment` for
words and sentences). Fernández Huerta's formula is usually printed with F = "sentences per
100 words", which makes shorter sentences *harder*; it is a translation of Flesch's formula and
F must be the words per sentence (Gwillim Law, 2011): that corrected form is used, with
P = syllables per 100 words written as 60 x syllables per word.

Grade equivalents: every ``*flesch*``-family formula above (Amstad, Fernández Huerta,
Kandel-Moles, Martins, Douma) was fitted to read on Flesch's scale, so its score is placed on
Flesch's own table (90-100: grade 5; 80-90: 6; 70-80: 7; 60-70: 8-9; 50-60: 10-12; 30-50:
college, 13-16; 0-30: graduate) by linear interpolation between the bands' midpoints. Gulpease
is read on its authors' thresholds (below 80 hard after 5 years of school, below 60 after 8,
below 40 after 13), LIX on Björnsson's bands (below 25 children's books; 25-30 easy; 30-40
fiction; 40-50 factual; 50-60 specialist; above 60 very hard). Grades beyond the last knots
are extrapolated and kept within 0-18; they are rough equivalents, not measurements.

Syllables come from the language's hyphenation dictionary (pyphen), then each hyphenation
piece counts its vowel groups (a word has at least one syllable): hyphenation leaves out
breaks that would strand one letter (``every``, ``idea``, ``garantía``), and vowel groups
restore them, while the dictionary's breaks split vowel pairs that are two syllables
(``cre-ate``). English and French drop a silent final ``e``/``es`` (and English ``ed``);
Spanish and Portuguese split a stressed ``í``/``ú`` from its neighbour (``dí-a``). A number
counts as one word of one syllable.

A text written without spaces (Chinese, Japanese, Thai) counts *characters* as its words, so
its ``words_per_sentence`` is characters per sentence; no formula is applied to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

import orjson
import pyphen

from brandloom.analysis._segment import base_language, is_unspaced_unit, sentences, words

__all__ = ["FORMULAS", "readability"]

# The formula per primary language subtag; any other alphabetic text gets LIX.
FORMULAS: dict[str, str] = {
    "en": "flesch",
    "de": "amstad",
    "es": "fernandez_huerta",
    "fr": "kandel_moles",
    "it": "gulpease",
    "pt": "flesch_martins",
    "nl": "flesch_douma",
}
_LIX = "lix"

# (a, b, c): score = a - b WPS - c SPW
_FLESCH_FAMILY: dict[str, tuple[float, float, float]] = {
    "flesch": (206.835, 1.015, 84.6),
    "amstad": (180.0, 1.0, 58.5),
    "fernandez_huerta": (206.84, 1.02, 60.0),
    "kandel_moles": (207.0, 1.015, 73.6),
    "flesch_martins": (248.835, 1.015, 84.6),
    "flesch_douma": (206.835, 0.93, 77.0),
}

# (score, US grade) knots, interpolated linearly and extrapolated from the outer segments.
_FLESCH_TABLE: tuple[tuple[float, float], ...] = (
    (15.0, 17.0),
    (40.0, 14.5),
    (55.0, 11.0),
    (65.0, 8.5),
    (75.0, 7.0),
    (85.0, 6.0),
    (95.0, 5.0),
)
_GULPEASE_TABLE: tuple[tuple[float, float], ...] = ((40.0, 13.0), (60.0, 8.0), (80.0, 5.0))
_LIX_TABLE: tuple[tuple[float, float], ...] = (
    (22.5, 3.0),
    (27.5, 5.5),
    (35.0, 8.0),
    (45.0, 11.0),
    (55.0, 14.5),
    (65.0, 17.0),
)
_MAX_GRADE = 18.0

_LETTER_RE = re.compile(r"[^\W\d_]")
_ALPHABET_LETTER_RE = re.compile(
    r"[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u024f\u0370-\u052f\u1e00-\u1fff]"
)
_NOT_LETTER_RE = re.compile(r"[\W_]")
_VOWELS = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœāăąēĕėęěīĭįıōŏőūŭůűųȧαεηιουωάέήίόύώϊϋΐΰаеёиоуыэюяіїєѣ"
_VOWEL_GROUP_RE = re.compile(f"[{_VOWELS}]+")
# Spanish and Portuguese mark a hiatus with an acute accent: "dí-a", "pa-ís", "ba-úl".
_HIATUS_GROUP_RE = re.compile(f"[íú]|[{_VOWELS.replace('í', '').replace('ú', '')}]+")
_CONSONANT_BEFORE = re.compile(f"[^{_VOWELS}]")


def readability(text: str, language: str | None) -> dict[str, Any]:
    """How hard ``text`` is to read, with the formula made for its ``language``.

    Returns ``formula`` (its name, None when none applies), ``score`` and ``grade`` (a US grade
    equivalent; both None without a formula or without words), ``words_per_sentence``,
    ``sentences``, ``words`` and ``syllables_per_word`` (None where no hyphenation dictionary
    is known for the language). See the module documentation for the formulas.
    """
    found = sentences(text)
    tokens = words(text)
    n_words = len(tokens)
    n_sentences = len(found)
    wps = n_words / n_sentences if n_sentences else 0.0
    result: dict[str, Any] = {
        "formula": None,
        "score": None,
        "grade": None,
        "words_per_sentence": round(wps, 2),
        "sentences": n_sentences,
        "words": n_words,
        "syllables_per_word": None,
    }
    if not n_words or not _alphabetic(text):
        return result
    lang = base_language(language)
    formula = FORMULAS.get(lang, _LIX) if lang else _LIX
    spw = _syllables_per_word(tokens, lang)
    if spw is not None:
        result["syllables_per_word"] = round(spw, 3)
    score, grade = _apply(formula, tokens, n_sentences, wps, spw)
    if score is not None and grade is not None:
        result.update(formula=formula, score=round(score, 2), grade=round(grade, 1))
    return result


def _apply(
    formula: str, tokens: Sequence[str], n_sentences: int, wps: float, spw: float | None
) -> tuple[float | None, float | None]:
    if formula in _FLESCH_FAMILY:
        if spw is None:
            return None, None
        a, b, c = _FLESCH_FAMILY[formula]
        score = a - b * wps - c * spw
        if formula == "flesch":
            return score, _clamp_grade(0.39 * wps + 11.8 * spw - 15.59)
        return score, _grade(score, _FLESCH_TABLE)
    letters = [len(_NOT_LETTER_RE.sub("", token)) for token in tokens]
    if formula == "gulpease":
        score = 89.0 + (300.0 * n_sentences - 10.0 * sum(letters)) / len(tokens)
        return score, _grade(score, _GULPEASE_TABLE)
    long_words = sum(1 for n in letters if n > 6)
    score = wps + 100.0 * long_words / len(tokens)
    return score, _grade(score, _LIX_TABLE)


def _alphabetic(text: str) -> bool:
    """Whether most letters of ``text`` are Latin, Greek or Cyrillic (the formulas' scripts)."""
    letters = len(_LETTER_RE.findall(text))
    return letters > 0 and 2 * len(_ALPHABET_LETTER_RE.findall(text)) >= letters


def _grade(score: float, knots: Sequence[tuple[float, float]]) -> float:
    """The grade at ``score`` on the (ascending) ``knots``, extrapolated past the ends."""
    if score <= knots[0][0]:
        (x0, y0), (x1, y1) = knots[0], knots[1]
    elif score >= knots[-1][0]:
        (x0, y0), (x1, y1) = knots[-2], knots[-1]
    else:
        index = next(i for i in range(1, len(knots)) if score <= knots[i][0])
        (x0, y0), (x1, y1) = knots[index - 1], knots[index]
    return _clamp_grade(y0 + (score - x0) * (y1 - y0) / (x1 - x0))


def _clamp_grade(grade: float) -> float:
    return min(max(grade, 0.0), _MAX_GRADE)


def _syllables_per_word(tokens: Sequence[str], lang: str | None) -> float | None:
    if lang is None or _dictionary(lang) is None:
        return None
    counted = [syllables(token, lang) for token in tokens if not is_unspaced_unit(token)]
    return sum(counted) / len(counted) if counted else None


@cache
def _dictionary(lang: str) -> pyphen.Pyphen | None:
    """The hyphenation dictionary of a language (None when pyphen has none)."""
    name = pyphen.language_fallback(lang)
    if name is None:
        return None
    _load_patterns(name)
    return pyphen.Pyphen(lang=name)


def _load_patterns(name: str) -> None:
    """Put a language's parsed patterns in pyphen's own cache.

    Parsing a hyphenation dictionary takes 0.1-0.2 s per language, paid by every process that
    measures readability (each bulk worker). The first process keeps the parsed patterns as
    JSON in the cache directory (``BRANDLOOM_CACHE_DIR``), which later ones read in a fraction
    of that. Dictionaries with non-standard hyphenation (their values are not plain numbers)
    are always parsed.
    """
    from brandloom.analysis.artifacts import cache_dir, write_cache_file

    path = pyphen.LANGUAGES[name]
    if path in pyphen.hdcache:
        return
    folder = cache_dir()
    cached = (
        folder / f"pyphen-{pyphen.__version__}-{name}-{path.stat().st_size}.json"
        if folder is not None
        else None
    )
    if cached is not None and cached.is_file():
        try:
            data = orjson.loads(cached.read_bytes())
            parsed = pyphen.HyphDict.__new__(pyphen.HyphDict)
            # pyphen reads each pattern as ``offset, values = pattern``: the parsed lists do
            parsed.patterns = data
            parsed.cache = {}
            parsed.maxlen = max(len(key) for key in parsed.patterns)
            pyphen.hdcache[path] = parsed
            return
        except (OSError, ValueError, TypeError):
            pass  # unreadable: parse again and replace it
    parsed = pyphen.HyphDict(path)
    pyphen.hdcache[path] = parsed
    if cached is not None and all(
        type(value) is int for _, values in parsed.patterns.values() for value in values
    ):
        data = {key: [start, list(values)] for key, (start, values) in parsed.patterns.items()}
        write_cache_file(cached, lambda out: out.write(orjson.dumps(data)))


@lru_cache(maxsize=65536)
def syllables(word: str, lang: str) -> int:
    """The syllables of one word in a language with a hyphenation dictionary (at least 1)."""
    dictionary = _dictionary(lang)
    lowered = word.lower()
    if dictionary is None or lowered[:1].isdigit():
        return 1
    total = 0
    for part in re.split(r"['\u2019\-]", lowered):
        if not part:
            continue
        pieces = dictionary.inserted(part, hyphen="\x00").split("\x00")
        total += sum(
            _piece_syllables(piece, lang, last=i == len(pieces) - 1)
            for i, piece in enumerate(pieces)
        )
    return max(total, 1)


def _piece_syllables(piece: str, lang: str, *, last: bool) -> int:
    groups = len((_HIATUS_GROUP_RE if lang in ("es", "pt") else _VOWEL_GROUP_RE).findall(piece))
    if last and groups >= 2 and _silent_ending(piece, lang):
        groups -= 1
    return groups


def _silent_ending(piece: str, lang: str) -> bool:
    """Whether the word ends in a letter group that is written but not spoken."""
    if lang == "en":
        if piece.endswith("e") and len(piece) >= 3 and _CONSONANT_BEFORE.match(piece[-2]):
            # "ta-ble": a consonant + "le" is a syllable of its own
            return not (piece.endswith("le") and _CONSONANT_BEFORE.match(piece[-3]))
        return (
            piece.endswith("ed")
            and len(piece) >= 3
            and _CONSONANT_BEFORE.match(piece[-3]) is not None
            and piece[-3] not in "td"
        )
    if lang == "fr":
        stem = piece[:-1] if piece.endswith("es") else piece
        return (
            stem.endswith("e") and len(stem) >= 2 and _CONSONANT_BEFORE.match(stem[-2]) is not None
        )
    return False
