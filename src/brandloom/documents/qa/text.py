"""Checks that read the copy itself with :mod:`brandloom.analysis`: its language, what does not
fit the contact's locale, its sentiment and the learned spam likelihood. All are off unless the
spec turns them on:

- ``language_match: true`` -- ``language.mismatch`` (fail) when the body (the text part, else
  the markdown, else the HTML's text) or any other part with at least
  :data:`MIN_LETTERS` letters is detected in another language than the contact's locale (the
  classic bug: a German contact gets the English fallback). A detection less sure than
  :data:`MIN_CONFIDENCE` is ``language.uncertain`` (warn), never a fail.
- ``culture: true`` -- the ``culture.*`` findings of
  :func:`~brandloom.analysis.culture.culture_check` for the contact's locale, as warnings.
- ``sentiment_min: -0.2`` -- ``sentiment.below_min`` (fail) when the body's sentiment score
  (P(positive) - P(negative), -1..1) is below it.
- ``spam_model_max: 0.8`` -- ``spam.model_score`` (fail) when the learned spam model's
  probability for subject + body is above it (``spam_threshold`` is the rules' score).

Documents that differ only in personalization share one analysis: each part is analysed with
the contact's own field values masked out, and results are cached on that masked text, so a
million-contact job runs the models once per distinct copy, not once per contact. The language
verdict is kept per document copy (:func:`copy_key`, with the contact's locale): most documents
cost one key and one lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from brandloom.analysis.language import DEFAULT_LANGUAGES, Detection, detector, supported_languages
from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    levels,
    shorten,
)
from brandloom.kit.text import zero_digits

CULTURE_CODES = (
    "culture.formality",
    "culture.number_format",
    "culture.currency_format",
    "culture.date_format",
    "culture.quotation_marks",
    "culture.language",
    "culture.avoid_number",
    "culture.name_order",
)
CODES: dict[str, IssueLevel] = {
    "language.mismatch": "fail",
    "language.uncertain": "warn",
    **dict.fromkeys(CULTURE_CODES, "warn"),
    "sentiment.below_min": "fail",
    "spam.model_score": "fail",
}

MIN_LETTERS = 20
"""Parts other than the body are checked from this many letters on (shorter ones say too little)."""
MIN_CONFIDENCE = 0.80
"""Below this posterior a differing language is ``language.uncertain``, not a mismatch."""
_PARTS = ("subject", "preheader", "sms")
_NOT_PERSONAL = frozenset({"locale", "consent"})
_MIN_MASKED = 3  # shorter values ("de", "1") would blank out ordinary words
_CACHE_SIZE = 20_000
_DOC_CACHE_SIZE = 4_096  # whole-document keys are long: fewer of them

T = TypeVar("T")


class TextChecksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language_match: bool = Field(
        default=False, description="fail documents whose copy is not in the contact's language"
    )
    culture: bool = Field(
        default=False, description="warn about what does not fit the contact's locale"
    )
    sentiment_min: float | None = Field(
        default=None, ge=-1, le=1, description="fail documents whose body's sentiment is lower"
    )
    spam_model_max: float | None = Field(
        default=None, gt=0, le=1, description="fail documents the spam model scores higher"
    )


class _Cache:
    """A bounded memo: analyses keyed by masked text (cleared when full, never unbounded)."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._memo: dict[Hashable, Any] = {}
        self._size = size

    def get(self, key: Hashable, compute: Callable[..., T], *args: Any) -> T:
        """The value kept for ``key``, else ``compute(*args)`` (kept)."""
        memo = self._memo
        try:
            return memo[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value = compute(*args)
        if len(memo) >= self._size:
            memo.clear()
        memo[key] = value
        return value


def _personal_values(personal: Mapping[str, object] | None) -> list[str]:
    """The contact's own values worth masking, each once, longest first (names, cities,
    codes...)."""
    if not personal:
        return []
    values = {  # a dict: the same value under two fields (key and email) is searched once
        v: None
        for k, v in personal.items()
        if k not in _NOT_PERSONAL
        and isinstance(v, str)
        and len(v) >= _MIN_MASKED
        and _SEPARATOR not in v
    }
    return sorted(values, key=len, reverse=True) if len(values) > 1 else list(values)


def _masked(text: str, values: Sequence[str]) -> str:
    """``text`` without the contact's own values."""
    for value in values:
        # one search: a value that is not there leaves the same string (no copy)
        text = text.replace(value, " ")
    return text


class MaskedCopy:
    """The subject, preheader, body and SMS of one document (the non-empty ones, in that
    order) with the contact's own values masked: what the text and brand checks read, and
    what their caches are keyed on (``doc.memo("masked", masked_copy)``).

    ``joined`` is the masked parts joined by NUL, masked in one pass (a contact's value cannot
    span two parts); copy that holds a NUL itself is masked part by part and ``nul`` is set
    (``joined`` then cannot be split back: read :meth:`parts`). ``body`` is the body's part name
    (``text``, ``markdown`` or ``html``; see :attr:`QADocument.body`), None without a body.
    """

    __slots__ = ("_parts", "body", "joined", "names", "nul")

    def __init__(
        self,
        names: tuple[str, ...],
        joined: str,
        parts: tuple[str, ...] | None = None,
        *,
        body: str | None = None,
    ) -> None:
        self.names = names
        self.body = body
        self.joined = joined
        self.nul = parts is not None
        self._parts = parts

    def parts(self) -> tuple[str, ...]:
        """The masked parts, in the order of :attr:`names`."""
        parts = self._parts
        if parts is None:
            parts = self._parts = tuple(self.joined.split(_SEPARATOR))
        return parts


def _copy_parts(doc: QADocument) -> tuple[list[str], list[str], str | None]:
    """The names and texts of the non-empty parts (subject, preheader, SMS, body), and the
    body's name (None without a body)."""
    names: list[str] = []
    values: list[str] = []
    parts = doc.parts
    for name in _PARTS:
        value = parts.get(name)
        if value and not value.isspace():
            names.append(name)
            values.append(value)
    body_name: str | None
    body_name, body = doc.body
    if body and not body.isspace():
        names.append(body_name)
        values.append(body)
    else:
        body_name = None
    return names, values, body_name


def masked_copy(doc: QADocument) -> MaskedCopy | None:
    """The document's :class:`MaskedCopy`; None when every part is empty."""
    names, values, body_name = _copy_parts(doc)
    if not values:
        return None
    personal = _personal_values(doc.personal)
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) != len(values) - 1:  # a NUL in the copy: part by part
        masked = tuple(_masked(value, personal) for value in values)
        return MaskedCopy(tuple(names), _SEPARATOR.join(masked), masked, body=body_name)
    masked_joined = _masked(joined, personal) if personal else joined
    return MaskedCopy(tuple(names), masked_joined, body=body_name)


#: A document's copy key: its part names, and its masked parts with digits as 0, joined by NUL
#: (one string per part where the copy holds a NUL itself).
CopyKey = tuple[tuple[str, ...], "str | tuple[str, ...]"]


def copy_key(doc: QADocument) -> CopyKey | None:
    """A cache key for the document's copy: equal for two documents exactly when their masked
    parts (:func:`masked_copy`) are equal with every digit written as 0 (formatted numbers and
    dates differ per contact). None when every part is empty.

    Most documents are looked up and found, so the key is made in one pass over the joined
    parts, without the :class:`MaskedCopy` (copy that holds a NUL goes through it)."""
    names, values, _ = _copy_parts(doc)
    if not values:
        return None
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) == len(values) - 1:
        return tuple(names), zero_digits(_masked(joined, _personal_values(doc.personal)))
    masked = doc.memo("masked", masked_copy)
    assert masked is not None
    # the joined parts could be ambiguous: one key per part
    return tuple(names), tuple(zero_digits(part) for part in masked.parts())


def zeroed_parts(doc: QADocument) -> tuple[str, ...]:
    """Each masked part with its digits as 0, in the order of :attr:`MaskedCopy.names` (the
    parts of :func:`copy_key`, at the same positions as the masked parts); empty without copy."""
    key = doc.memo("copy.key", copy_key)
    if key is None:
        return ()
    zeroed = key[1]
    return zeroed if isinstance(zeroed, tuple) else tuple(zeroed.split(_SEPARATOR))


def masked_parts(doc: QADocument) -> dict[str, str]:
    """The masked parts by name (see :class:`MaskedCopy`; empty ones left out)."""
    copy = doc.memo("masked", masked_copy)
    if copy is None:
        return {}
    return dict(zip(copy.names, copy.parts(), strict=True))


_SEPARATOR = "\x00"  # never in a part (documents are text) nor in a value worth masking


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _language(tag: str) -> str:
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    return "nb" if language == "no" else language


class TextChecks:
    """Built once per job; holds the caches that make per-document analysis cheap."""

    def __init__(
        self, config: TextChecksConfig, found: Mapping[str, str], known: frozenset[str]
    ) -> None:
        self._levels = found
        self._language_on = config.language_match and (
            found["language.mismatch"] != "off" or found["language.uncertain"] != "off"
        )
        self._culture_on = config.culture and any(found[c] != "off" for c in CULTURE_CODES)
        self._sentiment_min = (
            config.sentiment_min if found["sentiment.below_min"] != "off" else None
        )
        self._spam_max = config.spam_model_max if found["spam.model_score"] != "off" else None
        self._known = known
        self._detections = _Cache()
        self._verdicts = _Cache(_DOC_CACHE_SIZE)  # (whole copy's key, locale) -> issues
        self._culture = _Cache()
        self._scores = _Cache()

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        locale = doc.contact_locale
        issues: list[QAIssue] = []
        if self._language_on and locale:
            # the verdict names parts and languages only, never the copy: one lookup per
            # document, and the copy is read (masked) only for a document not seen before
            key = doc.memo("copy.key", copy_key)
            if key is None:
                return NO_ISSUES
            issues.extend(self._verdicts.get((key, locale), self._document_language, doc, locale))
        culture_locale = locale if self._culture_on else None
        scores = self._sentiment_min is not None or self._spam_max is not None
        if not (culture_locale or scores):
            return issues or NO_ISSUES
        texts = doc.memo("masked.parts", masked_parts)
        if not texts:
            return NO_ISSUES
        if culture_locale:
            issues.extend(self._check_culture(texts, culture_locale))
        if scores:
            issues.extend(self._check_scores(doc, texts, locale))
        return issues or NO_ISSUES

    def _document_language(self, doc: QADocument, locale: str) -> tuple[QAIssue, ...]:
        return tuple(self._check_language(doc.memo("masked.parts", masked_parts), locale))

    def _detect(self, text: str, language: str) -> tuple[int, Detection]:
        # Formatted numbers ("12,345 points", "١٢٣") differ per contact even after masking the
        # raw values; they say nothing about the language: detection reads every digit as 0
        key = zero_digits(text)

        def compute() -> tuple[int, Detection]:
            candidates = DEFAULT_LANGUAGES
            if language not in candidates and language in self._known:
                candidates = (*DEFAULT_LANGUAGES, language)
            return _letters(key), detector(candidates).detect(key, prior=language)

        return self._detections.get((language, key), compute)

    def _check_language(self, texts: Mapping[str, str], locale: str) -> list[QAIssue]:
        language = _language(locale)
        if language not in self._known:
            return []  # a locale the detector cannot tell: nothing to compare with
        mismatched: list[str] = []
        uncertain: list[str] = []
        for name, text in texts.items():
            letters, found = self._detect(text, language)
            if name in _PARTS and letters < MIN_LETTERS:
                continue
            if found.language is None or found.language == language:
                continue
            note = f"{name}: {found.language} ({found.confidence:.2f})"
            (mismatched if found.confidence >= MIN_CONFIDENCE else uncertain).append(note)
        issues = []
        for code, notes, verdict in (
            ("language.mismatch", mismatched, "is not"),
            ("language.uncertain", uncertain, "may not be"),
        ):
            level = self._levels[code]
            if notes and level != "off":
                message = f"Copy {verdict} in the contact's language ({locale}): "
                issues.append(QAIssue(code, level, message + "; ".join(notes)))
        return issues

    def _check_culture(self, texts: Mapping[str, str], locale: str) -> list[QAIssue]:
        issues = []
        for name, text in texts.items():
            findings = self._culture.get(
                ("culture", locale, text), partial(_culture_findings, text, locale)
            )
            for finding in findings:
                level = self._levels.get(finding["code"], "off")
                if level == "off":
                    continue
                start, end = finding["span"]
                message = f"{name} '{shorten(text[start:end], 40)}': {finding['message']}"
                if finding.get("suggestion"):
                    message += f" (suggestion: {finding['suggestion']})"
                issues.append(QAIssue(finding["code"], level, message))
        return issues

    def _check_scores(
        self, doc: QADocument, texts: Mapping[str, str], locale: str | None
    ) -> list[QAIssue]:
        body_name, _ = doc.body
        body = texts.get(body_name) or texts.get("sms") or ""
        subject = texts.get("subject")
        issues = []
        if self._sentiment_min is not None and body:
            language = _language(locale) if locale else None
            if language is not None and language in self._known:
                language = self._detect(body, language)[1].language or language
            score = self._scores.get(
                ("sentiment", language, body), lambda: _sentiment(body, language)
            )
            if score < self._sentiment_min:
                issues.append(
                    QAIssue(
                        "sentiment.below_min",
                        self._levels["sentiment.below_min"],
                        f"{body_name} sentiment {score:+.2f} is below sentiment_min "
                        f"{self._sentiment_min:+.2f}",
                    )
                )
        if self._spam_max is not None and (body or subject):
            probability = self._scores.get(
                ("spam", subject, body), partial(_spam_probability, subject, body)
            )
            if probability > self._spam_max:
                issues.append(
                    QAIssue(
                        "spam.model_score",
                        self._levels["spam.model_score"],
                        f"spam model probability {probability:.2f} is above spam_model_max "
                        f"{self._spam_max:.2f}",
                    )
                )
        return issues


def _culture_findings(text: str, locale: str) -> list[dict[str, Any]]:
    from brandloom.analysis import culture as culture_mod

    try:
        return culture_mod.culture_check(text, locale)
    except culture_mod.UnknownLocaleError:
        return []  # a locale without culture data has nothing to check against


def _sentiment(text: str, language: str | None) -> float:
    from brandloom.analysis.sentiment import SentimentModel

    return round(float(SentimentModel.load().analyze([text], [language])[0]["score"]), 4)


def _spam_probability(subject: str | None, body: str) -> float:
    from brandloom.analysis.spam import SpamModel, document_text

    return round(float(SpamModel.load().predict_proba([document_text(subject, body)])[0]), 4)


def build(config: TextChecksConfig, overrides: Mapping[str, Severity]) -> TextChecks | None:
    """The checks for one job; None unless the spec turns one on."""
    if not (
        config.language_match
        or config.culture
        or config.sentiment_min is not None
        or config.spam_model_max is not None
    ):
        return None
    found = levels(CODES, overrides)
    return TextChecks(config, found, frozenset(supported_languages()))


CHECK = QACheckDefinition(name="text", codes=CODES, config=TextChecksConfig, build=build, flat=True)
