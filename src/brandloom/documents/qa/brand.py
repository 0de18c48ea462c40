"""Checks against a brand: its guidelines as rules and its learned voice. Both off unless the
spec turns them on:

- ``brand_rules: true`` -- the brand's lint (``brand.banned_term``, ``brand.glossary``,
  ``brand.disclaimer_missing``, ``brand.formality``, ``brand.name_casing``, ``brand.emoji``,
  ``brand.exclamation``, ``brand.reading_level``) on the subject, preheader, body and SMS of
  each document, for the spec's ``brand:`` (or ``voice.brand``). Disclaimers and the reading
  level are checked on the body only; the disclaimers required are the ``email`` channel's for
  jobs with html, eml or txt output, the ``sms`` channel's for SMS-only jobs (``*`` always).
  Formality and per-language terms follow the contact's locale.
- ``voice: {brand: acme, min_score: 60, fail_below: 40}`` -- the body's voice score against the
  brand's stored profile: ``voice.below_min`` (warn) under ``min_score``, ``voice.below_fail``
  (fail) under ``fail_below``. The tone dimension (the emotion encoder, per distinct copy, in
  every worker) is left out unless ``tone: true``.

Like the text checks, each part is read with the contact's own field values masked and the
results are cached on that masked text: documents that share their copy are linted and scored
once, not once per contact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QABrand,
    QACheckDefinition,
    QADocument,
    QAIssue,
    QAJob,
    Severity,
    levels,
    shorten,
)
from brandloom.documents.qa.text import (
    _DOC_CACHE_SIZE,
    CopyKey,
    MaskedCopy,
    _Cache,
    copy_key,
    masked_copy,
    zeroed_parts,
)

RULE_CODES: dict[str, IssueLevel] = {
    "brand.banned_term": "fail",
    "brand.glossary": "warn",
    "brand.disclaimer_missing": "fail",
    "brand.formality": "warn",
    "brand.name_casing": "warn",
    "brand.emoji": "warn",
    "brand.exclamation": "warn",
    "brand.reading_level": "warn",
}
VOICE_CODES: dict[str, IssueLevel] = {
    "voice.below_min": "warn",
    "voice.below_fail": "fail",
}
_NUMBER = re.compile(r"0(?:[0.,:/\u00a0\u202f\u066b\u066c' -]*0)*")
_EMAIL_OUTPUTS = frozenset({"html", "eml", "txt"})
_MIN_LETTERS = 20  # shorter copy is read in the contact's language (as language_match does)
# (part index, code, level, span, message, suggestion)
_Found = tuple[int, str, str, "tuple[int, int] | None", str, "str | None"]


class BrandRulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brand_rules: bool = Field(
        default=False, description="check the copy against the brand's guidelines (lint)"
    )


class VoiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brand: str | None = Field(default=None, description="the brand whose voice scores the copy")
    min_score: float | None = Field(
        default=None, ge=0, le=100, description="warn when the body's voice score is lower"
    )
    fail_below: float | None = Field(
        default=None, ge=0, le=100, description="fail when the body's voice score is lower"
    )
    tone: bool = Field(
        default=False, description="include the tone dimension (runs the emotion model)"
    )


def channel_of(outputs: Sequence[str]) -> str | None:
    """The guidelines channel whose disclaimers a job's documents must carry."""
    if _EMAIL_OUTPUTS.intersection(outputs):
        return "email"
    if "sms" in outputs:
        return "sms"
    return None


def _language_of(locale: str | None) -> str | None:
    return locale.replace("_", "-").split("-", 1)[0].lower() if locale else None


def copy_language(text: str, locale: str | None) -> str | None:
    """The language the copy is written in (the contact's locale as a prior): rules and the
    voice read English copy as English even when it goes to a German contact (that mismatch is
    ``language_match``'s to report)."""
    if sum(1 for ch in text if ch.isalpha()) < _MIN_LETTERS:
        return _language_of(locale)  # a short subject line says too little: the contact's
    # numbers say nothing of the language: copy that differs only in them is detected once
    folded = _NUMBER.sub("0", text)
    return _LANGUAGES.get((folded, locale), partial(_detect, folded, locale))


def _detect(text: str, locale: str | None) -> str | None:
    from brandloom.analysis.language import detect

    return detect(text, locale=locale).language or _language_of(locale)


_LANGUAGES = _Cache()  # (copy with numbers folded, locale) -> language, for every check


def _copy(doc: QADocument) -> MaskedCopy:
    """The document's masked copy, read only when its key was not seen before or its copy has
    findings (their excerpts come from each document's own copy)."""
    masked = doc.memo("masked", masked_copy)
    assert masked is not None  # only for documents with a key
    return masked


def _key(doc: QADocument) -> tuple[CopyKey, str | None] | None:
    """The whole document's cache key (see :func:`~brandloom.documents.qa.text.copy_key`)
    and the contact's locale: documents that differ only in personalization share it, and each
    brand check looks it up once per document."""
    key = doc.memo("copy.key", copy_key)
    return None if key is None else (key, doc.contact_locale)


def _missing_brand(check: str, name: str | None) -> LookupError:
    return LookupError(f"qa {check}: no brand named {name!r} was loaded for this job")


class BrandRules:
    """The brand's compiled linter, run per part of each document (cached per masked text)."""

    def __init__(self, brand: QABrand, found: Mapping[str, str], channel: str | None) -> None:
        from brandloom.analysis.brand_rules import BrandLinter

        assert brand.guidelines is not None
        self._linter = BrandLinter(brand.guidelines, digits_as_zero=True)
        self._levels = found
        self._channel = channel
        self._cache = _Cache()
        self._docs = _Cache(_DOC_CACHE_SIZE)  # whole documents: one lookup for most
        self._readings = _Cache()
        self._reading = (
            brand.guidelines.reading_level.max_grade is not None
            and found["brand.reading_level"] != "off"
        )

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        key = doc.memo("brand.key", _key)
        if key is None:
            return NO_ISSUES
        found = self._docs.get(key, self._lint_copy, doc)
        if not found:
            return NO_ISSUES
        copy = _copy(doc)
        texts = copy.parts()
        issues: list[QAIssue] = []
        for index, code, level, span, message, suggestion in found:
            name = copy.names[index]
            # the excerpt comes from this document's own (masked) copy
            where = f"{name} '{shorten(texts[index][span[0] : span[1]], 40)}'" if span else name
            note = f" (suggestion: {suggestion})" if suggestion else ""
            issues.append(QAIssue(code, level, f"{where}: {message}{note}"))
        return issues

    def _lint_copy(self, doc: QADocument) -> tuple[_Found, ...]:
        """What the lint finds in every part of one document (levels applied)."""
        copy = _copy(doc)
        body_name = copy.body
        locale = doc.contact_locale
        out: list[_Found] = []
        for index, (name, key) in enumerate(zip(copy.names, zeroed_parts(doc), strict=True)):
            whole = name == body_name or name == "sms"
            found = self._cache.get(
                (name, whole, locale, key), partial(self._lint, key, locale, whole)
            )
            for code, span, message, suggestion in found:
                level = self._levels.get(code, "off")
                if level != "off":
                    out.append((index, code, level, span, message, suggestion))
        return tuple(out)

    def _lint(
        self, text: str, locale: str | None, whole: bool
    ) -> list[tuple[str, tuple[int, int] | None, str, str | None]]:
        language = copy_language(text, locale)
        found = self._linter.lint(
            text,
            channel=self._channel if whole else None,
            # the locale's register rules only for copy in the locale's language
            locale=locale if language == _language_of(locale) else language,
            language=language,
            whole_text=whole,
            reading=False,
        )
        if whole and self._reading:
            # the reading level does not depend on the numbers: one per copy, however its
            # numbers are written (it is the costly rule)
            folded = _NUMBER.sub("0", text)
            found = found + self._readings.get(
                (language, folded), partial(self._linter.reading_level, folded, language=language)
            )
        return [(v.code, v.span, v.message, v.suggestion) for v in found]


class VoiceCheck:
    """The body's voice score against one brand's profile (cached per masked body)."""

    def __init__(self, brand: QABrand, config: VoiceConfig, found: Mapping[str, str]) -> None:
        assert brand.voice is not None
        self._voice = brand.voice
        self._brand = brand.name
        self._min = config.min_score if found["voice.below_min"] != "off" else None
        self._fail = config.fail_below if found["voice.below_fail"] != "off" else None
        self._levels = found
        self._tone = config.tone
        self._cache = _Cache()  # (language, text as scored) -> result
        self._seen = _Cache()  # (locale, masked body) -> result: skips the number folding
        self._docs = _Cache(_DOC_CACHE_SIZE)  # whole documents: one lookup for most

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        key = doc.memo("brand.key", _key)
        if key is None:
            return NO_ISSUES
        found = self._docs.get(key, self._body_score, doc)
        if found is None:
            return NO_ISSUES
        body_name, score, weakest = found
        for code, limit in (("voice.below_fail", self._fail), ("voice.below_min", self._min)):
            if limit is not None and score < limit:
                return (
                    QAIssue(
                        code,
                        self._levels[code],
                        f"{body_name} scores {score:.0f} against {self._brand}'s voice, under "
                        f"{'fail_below' if code == 'voice.below_fail' else 'min_score'} "
                        f"{limit:g}{weakest}",
                    ),
                )
        return NO_ISSUES

    def _body_score(self, doc: QADocument) -> tuple[str, float, str] | None:
        """The body's (else the SMS's) name, score and weakest dimension; None without one."""
        copy = _copy(doc)
        names = copy.names
        body_name = copy.body or ("sms" if "sms" in names else None)
        if body_name is None:
            return None
        key = zeroed_parts(doc)[names.index(body_name)]
        locale = doc.contact_locale
        score, weakest = self._seen.get((locale, key), partial(self._folded, key, locale))
        return body_name, score, weakest

    def _folded(self, text: str, locale: str | None) -> tuple[float, str]:
        # a voice has no spans to keep: every number reads as one 0, whatever its length or
        # format, and the contact's language (not the region) picks the voice
        text = _NUMBER.sub("0", text)
        language = copy_language(text, locale)
        return self._cache.get((language, text), partial(self._score, text, language))

    def _score(self, text: str, locale: str | None) -> tuple[float, str]:
        result = self._voice.score([text], locale=locale, tone=self._tone)[0]
        dims: dict[str, Any] = result.dimensions
        weakest = min(dims.items(), key=lambda kv: kv[1]["score"], default=None)
        note = f"; weakest: {weakest[0]} ({weakest[1]['explanation']})" if weakest else ""
        return result.score, note


def build_rules_for_job(
    config: BrandRulesConfig, overrides: Mapping[str, Severity], job: QAJob
) -> BrandRules | None:
    """The lint for one job; None unless ``brand_rules`` is on."""
    if not config.brand_rules:
        return None
    found = levels(RULE_CODES, overrides)
    if all(level == "off" for level in found.values()):
        return None
    brand = job.brands.get(job.brand or "")
    if brand is None or brand.guidelines is None:
        raise _missing_brand("brand_rules", job.brand)
    return BrandRules(brand, found, channel_of(job.outputs))


def build_voice_for_job(
    config: VoiceConfig, overrides: Mapping[str, Severity], job: QAJob
) -> VoiceCheck | None:
    """The voice check for one job; None unless a threshold is set."""
    if config.min_score is None and config.fail_below is None:
        return None
    found = levels(VOICE_CODES, overrides)
    name = config.brand or job.brand
    brand = job.brands.get(name or "")
    if brand is None or brand.voice is None:
        raise _missing_brand("voice", name)
    return VoiceCheck(brand, config, found)


def _never(config: Any, overrides: Mapping[str, Severity]) -> None:
    return None  # built per job only (the brand comes with the job)


RULES_CHECK = QACheckDefinition(
    name="brand_rules",
    codes=RULE_CODES,
    config=BrandRulesConfig,
    build=_never,
    build_for_job=build_rules_for_job,
    flat=True,
)
VOICE_CHECK = QACheckDefinition(
    name="voice",
    codes=VOICE_CODES,
    config=VoiceConfig,
    build=_never,
    build_for_job=build_voice_for_job,
)
