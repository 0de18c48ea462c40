"""Which persuasion levers a text pulls, with the phrases that pull them.

Ten motivators a brief can target (:data:`MOTIVATORS`): *urgency* (time pressure: deadlines,
"ends tonight"), *exclusivity* (members only, limited editions, invitations), *trust*
(guarantees, reviews, certifications), *curiosity* (secrets, "find out how", sneak peeks),
*belonging* (community, "join us", "people like you"), *achievement* (goals, success, levelling
up), *fear_of_missing_out* ("don't miss out", selling fast, almost sold out), *security*
(risk-free, safe payment, cancel any time), *value* (discounts, free shipping, deals) and
*novelty* (new, just launched, introducing).

**Lexicons.** Hand-written cue phrases per language in ``data/motivators/<lang>.yaml``, each
with a weight (1.0: a clear cue on its own; 0.5: a cue that needs company; 0.3: an everyday
word that leans towards the motivator, "today", "new", supporting evidence only). A phrase may list
under several motivators ("only 3 left" is urgency and fear of missing out). There is no public
labelled data for these levers, so no accuracy is claimed: every score comes with its
evidence, the phrases as they appear in the text, so a person can judge it.

Phrase syntax (a small, safe subset of regular expressions):

- plain words match themselves, case-insensitively and as whole words (``free`` does not
  match ``freedom``); a space matches any run of whitespace (none is needed next to a symbol:
  ``# %`` matches ``30%``), and ``'`` matches ``'`` or ``’``;
- ``(a|b)`` alternatives; ``?`` makes the previous letter, group or class optional;
- ``[...]`` a character class (``[$€£]``, ``[- ]``: a hyphen or a space);
- ``*`` any word ending, for inflections (``exklusiv*``: exklusive, exklusiven...);
- ``#`` a number (``30``, ``4.5``, ``1,000``); ``\\d`` a digit, ``\\s`` a space.

Phrases in a script written without spaces (the Chinese and Japanese lexicons) match
anywhere, without word boundaries, so those lexicons list only phrases of two characters or
more. Each language's phrases compile once into one alternation; where several
start at the same place, the one with the longest shortest match is tried first
("free shipping" before "free").

**Negation**, lightly: a cue right after a negator of its language ("not", "kein", "sans",
...; one of the two words before it, in the same clause) is not counted: "not exclusive",
"nicht exklusiv" do not count as exclusivity; phrases that carry their own negation are cues
of their own ("no hidden fees": trust; "kein Risiko": security; "don't miss": fear of missing
out), and a negator inside an earlier cue or before a comma or dash does not reach further.

**Score.** Per motivator, each distinct phrase found (compared casefolded) adds its weight,
repeats add half as much again each time (``w * (2 - 0.5 ** (n - 1))``, at most ``2 w``: a
phrase shouted five times is not five cues). The sum ``W`` is divided by
``sqrt(max(1, words / 40))``, so a text longer than 40 words (an ad, a subject line with its
preheader, a short paragraph) needs more cues for the same score, though fewer than in
proportion, and the result saturates: ``score = 1 - exp(-W' / 1.25)``. One clear cue in a short
text scores 0.55, two 0.80, three 0.91; a long text full of cues approaches 1 and never
exceeds it.

**Language.** A language with a lexicon (:func:`lexicon_languages`; a tag such as ``pt-BR``
uses ``pt``) is read with its own phrases only, since a word of one language can mean
something else in another (Italian *sale* is salt). Without a language, or for a language
with no lexicon, the phrases of every language are used together: marketing copy borrows
("Sale", "Limited Edition", "gratis"), and a detector's miss should not silence the evidence;
a rare cross-language false cue is the price, and the evidence shows it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from brandloom.analysis._segment import base_language, count_words, has_unspaced

__all__ = ["MOTIVATORS", "lexicon_coverage", "lexicon_languages", "motivators"]

MOTIVATORS: tuple[str, ...] = (
    "urgency",
    "exclusivity",
    "trust",
    "curiosity",
    "belonging",
    "achievement",
    "fear_of_missing_out",
    "security",
    "value",
    "novelty",
)

REFERENCE_WORDS = 40
SCALE = 1.25
_NEGATION_WINDOW = 2
_ALL = "*"
_SYMBOLS_FREE = set("()|#'\\[]*?")
_NUMBER = r"\d+(?:[.,]\d+)*"
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u2013\u2014。！？、，]")
_NEGATOR_WORDS = re.compile(r"\w+(?:['’]\w+)*")
# Where a phrase can start: a character that is not a space and follows no word character.
_WORD_START = re.compile(r"(?<!\w)\S")


Cue = tuple[tuple[str, float], ...]  # the (motivator, weight) pairs a phrase is a cue of


@dataclass(frozen=True, slots=True)
class _Bucket:
    """The phrases that can start with one character: one alternation, a group per phrase."""

    pattern: re.Pattern[str]
    cues: tuple[Cue, ...]  # per group number - 1


@dataclass(frozen=True, slots=True)
class _Lexicon:
    buckets: dict[str, _Bucket]  # first character (lowercased) -> its phrases
    unspaced: _Bucket | None  # phrases in unspaced scripts, matched anywhere
    negators: frozenset[str]
    negator_suffixes: tuple[str, ...]

    def matches(self, text: str) -> Iterator[tuple[re.Match[str], Cue]]:
        """Non-overlapping cue matches, leftmost first."""
        found = list(self._spaced(text))
        if self.unspaced is not None and has_unspaced(text):
            found.extend(_bucket_matches(self.unspaced, text))
            found.sort(key=lambda item: (item[0].start(), -item[0].end()))
        end = 0
        for match, cue in found:
            if match.start() >= end:
                end = match.end()
                yield match, cue

    def _spaced(self, text: str) -> Iterator[tuple[re.Match[str], Cue]]:
        # Only a word's first character can start a phrase (whole-word matching), so each
        # start is looked up by that character: a few dozen alternatives are tried instead of
        # every phrase of every language.
        end = 0
        buckets = self.buckets
        for start in _WORD_START.finditer(text):
            position = start.start()
            if position < end:
                continue
            bucket = buckets.get(start.group().lower())
            if bucket is None:
                continue
            match = bucket.pattern.match(text, position)
            if match is not None:
                end = match.end()
                yield match, bucket.cues[(match.lastindex or 1) - 1]


def _bucket_matches(bucket: _Bucket, text: str) -> Iterator[tuple[re.Match[str], Cue]]:
    for match in bucket.pattern.finditer(text):
        yield match, bucket.cues[(match.lastindex or 1) - 1]


def motivators(text: str, language: str | None) -> dict[str, dict[str, Any]]:
    """Score every motivator of :data:`MOTIVATORS` in ``text``, with its evidence.

    Returns ``{motivator: {"score": 0..1, "evidence": [phrase, ...]}}`` with every motivator
    present; the evidence is the matched phrases as written in the text, each once (compared
    casefolded), in text order. See the module documentation for the lexicons, the score
    and how ``language`` (a language tag or None) picks the phrases.
    """
    lexicon = _lexicon(_lexicon_key(language))
    found: dict[str, dict[str, list[Any]]] = {name: {} for name in MOTIVATORS}
    previous_end = 0
    for match, cue in lexicon.matches(text):
        negated = _negated(text, previous_end, match.start(), lexicon)
        previous_end = match.end()
        if negated:
            continue
        phrase = match.group()
        key = " ".join(phrase.casefold().replace("\u2019", "'").split())
        for motivator, weight in cue:
            seen = found[motivator].get(key)
            if seen is None:
                found[motivator][key] = [phrase, weight, 1]
            else:
                seen[1] = max(seen[1], weight)
                seen[2] += 1
    damping = math.sqrt(max(1.0, count_words(text) / REFERENCE_WORDS)) if text else 1.0
    result: dict[str, dict[str, Any]] = {}
    for name in MOTIVATORS:
        cues = found[name].values()
        total = sum(weight * (2.0 - 0.5 ** (count - 1)) for _, weight, count in cues)
        result[name] = {
            "score": round(1.0 - math.exp(-total / damping / SCALE), 4),
            "evidence": [phrase for phrase, _, _ in cues],
        }
    return result


@cache
def lexicon_languages() -> tuple[str, ...]:
    """The languages with a motivator lexicon (primary subtags), sorted."""
    folder = resources.files("brandloom.analysis").joinpath("data", "motivators")
    return tuple(
        sorted(
            entry.name[: -len(".yaml")]
            for entry in folder.iterdir()
            if entry.name.endswith(".yaml")
        )
    )


def lexicon_coverage() -> dict[str, dict[str, int]]:
    """Per language with a lexicon, how many phrases each motivator has."""
    return {
        lang: {name: len(_phrases(lang).get(name, {})) for name in MOTIVATORS}
        for lang in lexicon_languages()
    }


def _lexicon_key(language: str | None) -> str:
    lang = base_language(language)
    return lang if lang in lexicon_languages() else _ALL


def _negated(text: str, floor: int, start: int, lexicon: _Lexicon) -> bool:
    """Whether a negator stands among the words right before ``start``, in the same clause,
    after the previous cue (whose own negation, as in "don't miss", is its own)."""
    before = text[max(floor, start - 60) : start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    for word in _NEGATOR_WORDS.findall(before)[-_NEGATION_WINDOW:]:
        folded = word.casefold().replace("\u2019", "'")
        if folded in lexicon.negators or folded.endswith(lexicon.negator_suffixes):
            return True
    return False


@cache
def _lexicon(key: str) -> _Lexicon:
    """One language's phrases (or every language's, for ``*``), compiled for matching."""
    languages = lexicon_languages() if key == _ALL else (key,)
    cues: dict[str, dict[str, float]] = {}  # phrase -> motivator -> weight
    negators: set[str] = set()
    for lang in languages:
        for motivator, phrases in _phrases(lang).items():
            for phrase, weight in phrases.items():
                entry = cues.setdefault(phrase, {})
                entry[motivator] = max(weight, entry.get(motivator, 0.0))
        negators.update(_negators(lang))
    by_first: dict[str, list[tuple[str, str, int]]] = {}
    unspaced: list[tuple[str, str, int]] = []
    for phrase in cues:
        regex, shortest, first = _translate(phrase)
        if has_unspaced(phrase):
            unspaced.append((phrase, regex, shortest))
            continue
        for char in first:
            by_first.setdefault(char, []).append((phrase, regex, shortest))
    buckets = {char: _bucket(entries, cues, boundaries=True) for char, entries in by_first.items()}
    return _Lexicon(
        buckets=buckets,
        unspaced=_bucket(unspaced, cues, boundaries=False) if unspaced else None,
        negators=frozenset(n.casefold() for n in negators if not n.startswith("*")),
        negator_suffixes=tuple(n[1:].casefold() for n in negators if n.startswith("*")),
    )


def _bucket(
    entries: list[tuple[str, str, int]],
    cues: Mapping[str, Mapping[str, float]],
    *,
    boundaries: bool,
) -> _Bucket:
    # Longest shortest match first: at one position the first alternative that matches wins.
    entries = sorted(entries, key=lambda entry: (-entry[2], entry[0]))
    alternation = "|".join(f"({regex})" for _, regex, _ in entries)
    if boundaries:
        alternation = f"(?:{alternation})(?!\\w)"
    return _Bucket(
        pattern=re.compile(alternation, re.IGNORECASE),
        cues=tuple(tuple(sorted(cues[phrase].items())) for phrase, _, _ in entries),
    )


@cache
def _document(lang: str) -> Mapping[str, Any]:
    path = resources.files("brandloom.analysis").joinpath("data", "motivators", f"{lang}.yaml")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"motivator lexicon {lang}: expected a mapping")
    unknown = set(loaded) - set(MOTIVATORS) - {"negators"}
    if unknown:
        raise ValueError(f"motivator lexicon {lang}: unknown motivators {sorted(unknown)}")
    return loaded


def _phrases(lang: str) -> dict[str, dict[str, float]]:
    """``{motivator: {phrase: weight}}`` of one language's lexicon file."""
    found: dict[str, dict[str, float]] = {}
    for motivator, by_weight in _document(lang).items():
        if motivator == "negators":
            continue
        phrases = found.setdefault(motivator, {})
        for weight, listed in (by_weight or {}).items():
            for phrase in listed or ():
                phrases[str(phrase)] = float(weight)
    return found


def _negators(lang: str) -> list[str]:
    return [str(n) for n in _document(lang).get("negators") or ()]


_Piece = tuple[str, int, frozenset[str]]  # regex, shortest match, possible first characters


def _translate(phrase: str) -> _Piece:
    """A phrase in the lexicon syntax as a regular expression, its shortest match length and
    the characters (lowercased) its matches can start with."""
    parser = _PhraseParser(phrase)
    piece = parser.alternatives()
    if parser.position != len(phrase):
        raise ValueError(f"motivator phrase {phrase!r}: unbalanced ')' at {parser.position}")
    if not piece[2] or piece[1] == 0:
        raise ValueError(f"motivator phrase {phrase!r}: can match nothing or start anywhere")
    return piece


class _PhraseParser:
    """Recursive descent over the phrase syntax (see the module documentation)."""

    def __init__(self, phrase: str) -> None:
        self.phrase = phrase
        self.position = 0

    def alternatives(self) -> _Piece:
        options = [self.sequence()]
        while self._peek() == "|":
            self.position += 1
            options.append(self.sequence())
        if len(options) == 1:
            return options[0]
        return (
            "(?:" + "|".join(rx for rx, _, _ in options) + ")",
            min(n for _, n, _ in options),
            frozenset().union(*(first for _, _, first in options)),
        )

    def sequence(self) -> _Piece:
        regex: list[str] = []
        shortest = 0
        first: set[str] = set()
        open_start = True  # every atom so far may match nothing
        for atom, length, starts in self._atoms():
            if self._peek() == "?":
                self.position += 1
                atom, length = f"(?:{atom})?", 0
            regex.append(atom)
            shortest += length
            if open_start:
                first.update(starts)
                open_start = length == 0
        return "".join(regex), shortest, frozenset(first)

    def _atoms(self) -> Iterator[_Piece]:
        while (char := self._peek()) not in ("", "|", ")"):
            self.position += 1
            if char == "(":
                inner, length, starts = self.alternatives()
                if self._peek() != ")":
                    raise ValueError(f"motivator phrase {self.phrase!r}: unclosed '('")
                self.position += 1
                yield f"(?:{inner})", length, starts
            elif char == "[":
                yield self._class()
            elif char == "\\":
                escaped = self._peek()
                self.position += 1
                if escaped == "d":
                    yield r"\d", 1, _DIGITS
                elif escaped == "s":
                    yield r"\s", 1, _SPACES
                else:
                    yield re.escape(escaped), 1, _cased(escaped)
            elif char == "#":
                yield _NUMBER, 1, _DIGITS
            elif char == "*":
                yield r"\w*", 0, frozenset()
            elif char == " ":
                yield self._space()
            elif char in "'\u2019":
                yield "['\u2019]", 1, frozenset("'\u2019")
            else:
                yield re.escape(char), 1, _cased(char)

    def _class(self) -> _Piece:
        end = self.phrase.find("]", self.position)
        if end < 0:
            raise ValueError(f"motivator phrase {self.phrase!r}: unclosed '['")
        members = self.phrase[self.position : end]
        self.position = end + 1
        # members are literal characters (no ranges): escape each
        return (
            "[" + "".join(re.escape(c) for c in members) + "]",
            1,
            frozenset().union(*(_cased(c) for c in members)),
        )

    def _space(self) -> _Piece:
        before = self.phrase[self.position - 2] if self.position >= 2 else ""
        after = self._peek()
        if _is_symbol(before) or _is_symbol(after):
            return r"\s*", 0, _SPACES
        return r"\s+", 1, _SPACES

    def _peek(self) -> str:
        return self.phrase[self.position] if self.position < len(self.phrase) else ""


_DIGITS = frozenset("0123456789")
_SPACES = frozenset(" \t\n")


def _cased(char: str) -> frozenset[str]:
    """The lowercased forms a character can take at a match start under IGNORECASE."""
    return frozenset({char.lower(), char.upper().lower()})


def _is_symbol(char: str) -> bool:
    return bool(char) and not char.isalnum() and char not in _SYMBOLS_FREE and not char.isspace()
