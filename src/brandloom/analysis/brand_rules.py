"""The brand's guidelines as rules: one compiled linter per guidelines version.

``BrandLinter(guidelines).lint(text, channel=..., locale=...)`` returns the violations, each
with a stable code, the span it covers (code-point offsets into ``text``; None for what the
text lacks or has as a whole), a message and a concrete suggestion:

=========================  ===============================================================
``brand.banned_term``      a banned term (the glossary's replacement suggested when it has one)
``brand.glossary``         a term the glossary replaces (the replacement, in the match's case)
``brand.disclaimer_missing``  a disclaimer the channel requires is not in the text
``brand.formality``        address in the wrong register for the language (du/Sie, tu/vous...)
``brand.name_casing``      the brand name spelled in another case (``lumen & loom``)
``brand.emoji``            more emoji than the policy allows
``brand.exclamation``      more exclamation marks than the policy allows
``brand.reading_level``    the text reads above the brand's maximum grade
=========================  ===============================================================

Term matching: case-insensitive; whole words for terms that begin and end with a letter or
digit (``cheap`` does not match ``cheapest`` unless the glossary lists that form); any run of
spaces matches a space in a multi-word term; a hyphen matches any hyphen or dash variant
(``e-mail``, ``e‑mail``); terms in scripts written without spaces (Chinese, Japanese, Thai)
match anywhere. The longest term wins where several start at one place. Disclaimers are
found case-insensitively with spaces collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from brandloom.analysis import culture
from brandloom.analysis.guidelines import ALL, Guidelines
from brandloom.analysis.readability import readability
from brandloom.kit.text import zero_digits

__all__ = ["CODES", "BrandLinter", "Violation", "count_emoji", "emoji_spans"]

CODES: dict[str, str] = {
    "brand.banned_term": "error",
    "brand.glossary": "warning",
    "brand.disclaimer_missing": "error",
    "brand.formality": "warning",
    "brand.name_casing": "warning",
    "brand.emoji": "warning",
    "brand.exclamation": "warning",
    "brand.reading_level": "warning",
}

_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_NO_SPACE = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# A pictographic character, then what joins it into one emoji: variation selector 16, skin
# tones, keycap, and zero-width-joiner sequences. Flags are pairs of regional indicators.
_PICTO = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001f1e5\U0001f200-\U0001faff"
)
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"
    "|[0-9#*]\ufe0f?\u20e3"
    f"|[{_PICTO}][\ufe0f\U0001f3fb-\U0001f3ff\u20e3]*"
    f"(?:\u200d[{_PICTO}][\ufe0f\U0001f3fb-\U0001f3ff]*)*"
)
_EXCLAMATION = re.compile("[!\uff01\u00a1]")
_READING_MIN_WORDS = 20  # a grade for a subject line says nothing


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``span`` is ``(start, end)`` in the text, None for a whole-text rule."""

    code: str
    span: tuple[int, int] | None
    message: str
    suggestion: str | None
    severity: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "span": list(self.span) if self.span is not None else None,
            "message": self.message,
            "suggestion": self.suggestion,
            "severity": self.severity,
        }


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """Where each emoji (a whole ZWJ sequence, flag or keycap counts as one) sits in ``text``."""
    return [m.span() for m in _EMOJI.finditer(text)]


def count_emoji(text: str) -> int:
    return sum(1 for _ in _EMOJI.finditer(text))


@dataclass(frozen=True, slots=True)
class _Term:
    term: str
    banned: bool
    replacement: str | None


def _term_pattern(term: str) -> str:
    parts = []
    for chunk in re.split(r"(\s+)", term):
        if not chunk:
            continue
        if chunk.isspace():
            parts.append(r"\s+")
            continue
        parts.append(
            "".join(f"[{re.escape(_HYPHENS)}]" if c in _HYPHENS else re.escape(c) for c in chunk)
        )
    body = "".join(parts)
    if _NO_SPACE.search(term):
        return body
    before = r"(?<![\w])" if _word_char(term[0]) else ""
    after = r"(?![\w])" if _word_char(term[-1]) else ""
    return before + body + after


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _key(term: str) -> str:
    folded = unicodedata.normalize("NFC", term).casefold()
    return re.sub(r"\s+", " ", "".join("-" if c in _HYPHENS else c for c in folded))


def _match_case(replacement: str, matched: str) -> str:
    letters = [c for c in matched if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return replacement.upper()
    if matched[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


class _TermMatcher:
    """Every banned or glossary term of one language in one alternation."""

    def __init__(self, terms: Iterable[_Term]) -> None:
        self._by_key: dict[str, _Term] = {}
        for item in terms:
            key = _key(item.term)
            known = self._by_key.get(key)
            if known is None:
                self._by_key[key] = item
            else:  # banned and in the glossary: one violation, banned, with the replacement
                self._by_key[key] = _Term(
                    item.term,
                    known.banned or item.banned,
                    known.replacement or item.replacement,
                )
        ordered = sorted(self._by_key.values(), key=lambda t: len(t.term), reverse=True)
        self._pattern = (
            re.compile("|".join(_term_pattern(t.term) for t in ordered), re.IGNORECASE)
            if ordered
            else None
        )

    def find(self, text: str) -> Iterable[tuple[int, int, str, _Term]]:
        if self._pattern is None:
            return
        for m in self._pattern.finditer(text):
            found = self._by_key.get(_key(m.group()))
            if found is not None:
                yield m.start(), m.end(), m.group(), found


class BrandLinter:
    """The guidelines compiled once: call :meth:`lint` per text (thread-safe, no I/O).

    ``digits_as_zero``: the texts linted have their digits written as 0 (bulk jobs do that so
    documents that differ only in a number share one lint); the terms, name and disclaimers
    are compared the same way (``100% free`` then matches any three-digit ``% free``).
    """

    def __init__(self, guidelines: Guidelines, *, digits_as_zero: bool = False) -> None:
        self.guidelines = guidelines
        self._same = zero_digits if digits_as_zero else _unchanged
        self._matchers: dict[str | None, _TermMatcher] = {}
        name = guidelines.brand_name
        name = self._same(name) if name else name
        self._name_text = name
        self._name = (
            re.compile(_term_pattern(name), re.IGNORECASE) if name and len(name) > 1 else None
        )
        self._emoji_limit = Guidelines.limit(guidelines.emoji)
        self._exclamation_limit = Guidelines.limit(guidelines.exclamation)
        self._disclaimers: dict[str | None, list[tuple[str, str]]] = {}

    @property
    def languages(self) -> set[str]:
        """The languages some rule is written for (a caller detects the language when it
        does not know the locale and this is not empty)."""
        found = {*self.guidelines.banned_terms, *self.guidelines.glossary}
        found.update(k for k, v in self.guidelines.formality.items() if v != "none")
        found.discard(ALL)
        return found

    def _matcher(self, language: str | None) -> _TermMatcher:
        matcher = self._matchers.get(language)
        if matcher is None:
            g = self.guidelines
            same = self._same
            terms = [_Term(same(t), True, None) for t in g.terms_for(language)]
            for term, entry in g.glossary_for(language).items():
                terms.append(_Term(same(term), False, entry.use))
                terms.extend(_Term(same(form), False, use) for form, use in entry.forms.items())
            banned = {_key(t.term) for t in terms if t.banned}
            replacements = {_key(t.term): t.replacement for t in terms if t.replacement}
            terms = [
                _Term(t.term, t.banned or _key(t.term) in banned, replacements.get(_key(t.term)))
                for t in terms
            ]
            matcher = self._matchers[language] = _TermMatcher(terms)
        return matcher

    def _required(self, channel: str | None) -> list[tuple[str, str]]:
        found = self._disclaimers.get(channel)
        if found is None:
            found = self._disclaimers[channel] = [
                (d, _flat(self._same(d))) for d in self.guidelines.disclaimers_for(channel)
            ]
        return found

    def lint(
        self,
        text: str,
        *,
        channel: str | None = None,
        locale: str | None = None,
        language: str | None = None,
        whole_text: bool = True,
        reading: bool = True,
    ) -> list[Violation]:
        """The violations in ``text``, sorted by where they start (whole-text ones last).

        ``channel`` selects the required disclaimers (``*`` ones always apply); ``locale`` or
        ``language`` (ISO 639-1) selects per-language terms and the formality rule; without
        either, every language's terms apply and formality is not checked. ``whole_text``:
        False for a part of a document (a subject line): the disclaimers and the reading
        level are then left to the body. ``reading``: False leaves the reading level out (a
        caller that caches it apart: :meth:`reading_level`).
        """
        if language is None and locale:
            language = locale.replace("_", "-").split("-", 1)[0].lower() or None
        found: list[Violation] = []
        self._terms(text, language, found)
        self._casing(text, found)
        self._formality(text, locale or language, language, found)
        self._marks(text, found)
        if whole_text:
            self._disclaimer(text, channel, found)
            if reading:
                self._reading(text, language, found)
        found.sort(key=lambda v: (v.span is None, v.span or (0, 0), v.code))
        return found

    # -- the rules -------------------------------------------------------------------------

    def _terms(self, text: str, language: str | None, out: list[Violation]) -> None:
        for start, end, matched, term in self._matcher(language).find(text):
            suggestion = _match_case(term.replacement, matched) if term.replacement else None
            if term.banned:
                out.append(
                    Violation(
                        "brand.banned_term",
                        (start, end),
                        f"“{matched}” is banned by the brand's guidelines",
                        suggestion or f"remove “{matched}” or rephrase",
                        CODES["brand.banned_term"],
                    )
                )
            else:
                out.append(
                    Violation(
                        "brand.glossary",
                        (start, end),
                        f"“{matched}”: the brand's glossary says “{suggestion}”",
                        suggestion,
                        CODES["brand.glossary"],
                    )
                )

    def _casing(self, text: str, out: list[Violation]) -> None:
        name, written = self._name_text, self.guidelines.brand_name
        if self._name is None or name is None or written is None:
            return
        for m in self._name.finditer(text):
            if m.group() != name and re.sub(r"\s+", " ", m.group()) != name:
                out.append(
                    Violation(
                        "brand.name_casing",
                        m.span(),
                        f"the brand name is written “{written}”, not “{m.group()}”",
                        written,
                        CODES["brand.name_casing"],
                    )
                )

    def _formality(
        self, text: str, locale: str | None, language: str | None, out: list[Violation]
    ) -> None:
        wanted = self.guidelines.formality.get(language or "")
        if not locale or wanted in (None, "none"):
            return
        try:
            findings = culture.formality_findings(text, locale, wanted)
        except culture.UnknownLocaleError:
            return  # no register data for the language: nothing to check
        for f in findings:
            out.append(
                Violation(
                    "brand.formality",
                    (f["span"][0], f["span"][1]),
                    f["message"].replace(f"{locale} copy by default", "the brand"),
                    f.get("suggestion"),
                    CODES["brand.formality"],
                )
            )

    def _marks(self, text: str, out: list[Violation]) -> None:
        for code, limit, spans, what in (
            ("brand.emoji", self._emoji_limit, emoji_spans, "emoji"),
            ("brand.exclamation", self._exclamation_limit, _exclamation_spans, "exclamation marks"),
        ):
            if limit is None:
                continue
            found = spans(text)
            if len(found) <= limit:
                continue
            allowed = "none" if limit == 0 else f"at most {limit}"
            for span in found[limit:]:
                out.append(
                    Violation(
                        code,
                        span,
                        f"{len(found)} {what} where the brand allows {allowed}",
                        "remove it",
                        CODES[code],
                    )
                )

    def _disclaimer(self, text: str, channel: str | None, out: list[Violation]) -> None:
        required = self._required(channel)
        if not required:
            return
        flat = _flat(text)
        for disclaimer, key in required:
            if key and key not in flat:
                where = f"{channel} copy" if channel else "copy"
                out.append(
                    Violation(
                        "brand.disclaimer_missing",
                        None,
                        f"{where} must carry the disclaimer “{disclaimer}”",
                        disclaimer,
                        CODES["brand.disclaimer_missing"],
                    )
                )

    def reading_level(self, text: str, *, language: str | None = None) -> list[Violation]:
        """The reading-level rule alone (``brand.reading_level``, or nothing)."""
        found: list[Violation] = []
        self._reading(text, language, found)
        return found

    def _reading(self, text: str, language: str | None, out: list[Violation]) -> None:
        limit = self.guidelines.reading_level.max_grade
        if limit is None:
            return
        facts = readability(text, language or "en")
        grade = facts["grade"]
        if grade is None or facts["words"] < _READING_MIN_WORDS or grade <= limit:
            return
        wps = facts["words_per_sentence"]
        out.append(
            Violation(
                "brand.reading_level",
                None,
                f"reads at grade {grade:g}; the brand's maximum is {limit:g}",
                f"shorter sentences and plainer words (sentences average {wps:g} words)",
                CODES["brand.reading_level"],
            )
        )


def _unchanged(text: str) -> str:
    return text


def _exclamation_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _EXCLAMATION.finditer(text)]


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
