"""Banned and required phrases (matching rules: :mod:`brandloom.kit.text`).

Phrases are searched in the subject, the preheader, the SMS and the body: the text part, else
the markdown part, else the HTML's text. A required phrase is satisfied when it occurs in any
of these parts.

Either list may be given per locale (``required_phrases: {de: [Abmelden], en: [unsubscribe]}``):
a document is checked against the list of its first locale that has one (its catalog's or its
contact's locale, ``de-AT`` -> ``de``, then the job's default locale); the list under ``"*"``
applies to every document as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.documents.qa.base import (
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    levels,
)
from brandloom.kit.text import PhraseMatcher
from brandloom.templates.messages import locale_key

CODES: dict[str, IssueLevel] = {"phrase.banned": "fail", "phrase.required_missing": "fail"}


class PhrasesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A list for every document, or lists by locale ("*": every document as well).
    banned_phrases: list[str] | dict[str, list[str]] = Field(
        default_factory=list, description='or per locale: {"*": [risk-free], de: [gratis]}'
    )
    required_phrases: list[str] | dict[str, list[str]] = Field(
        default_factory=list, description="or per locale: {de: [Abmelden], en: [Unsubscribe]}"
    )

    @field_validator("banned_phrases", "required_phrases")
    @classmethod
    def _strip_phrases(
        cls, value: list[str] | dict[str, list[str]]
    ) -> list[str] | dict[str, list[str]]:
        if isinstance(value, dict):
            by_locale: dict[str, list[str]] = {}
            for tag, phrases in value.items():
                key = tag if tag == EVERY_LOCALE else locale_key(tag)
                if key in by_locale:
                    raise ValueError(f"'{tag}' and another key are both the locale '{key}'")
                by_locale[key] = [p.strip() for p in phrases if p.strip()]
            return by_locale
        return [p.strip() for p in value if p.strip()]


EVERY_LOCALE = "*"
_Lists = Mapping[str, PhraseMatcher]


def _by_locale(value: list[str] | dict[str, list[str]], on: bool) -> dict[str, PhraseMatcher]:
    """Matchers by locale key (``"*"``: every document); none for a code that is off."""
    if not on:
        return {}
    lists = value if isinstance(value, dict) else {EVERY_LOCALE: value}
    matchers = {tag: PhraseMatcher(phrases) for tag, phrases in lists.items()}
    return {tag: m for tag, m in matchers.items() if m}


def _pick(lists: _Lists, locales: Sequence[str]) -> list[PhraseMatcher]:
    """The matchers a document with ``locales`` gets: ``"*"``, and its first locale's."""
    picked = [lists[EVERY_LOCALE]] if EVERY_LOCALE in lists else []
    own = next((lists[loc] for loc in locales if loc in lists), None)
    if own is not None:
        picked.append(own)
    return picked


class PhrasesCheck:
    def __init__(self, banned: _Lists, required: _Lists, found: Mapping[str, str]) -> None:
        self._banned = banned
        self._required = required
        self._banned_level = found["phrase.banned"]
        self._required_level = found["phrase.required_missing"]

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        issues: list[QAIssue] = []
        scans = doc.scans
        locales = doc.locales
        for matcher in _pick(self._banned, locales):
            hits: dict[int, list[str]] = {}
            for name, scanned in scans.items():
                for index in matcher.find(scanned):
                    hits.setdefault(index, []).append(name)
            for index in sorted(hits):
                message = f"Banned phrase {matcher.labels[index]!r} in {', '.join(hits[index])}"
                issues.append(QAIssue("phrase.banned", self._banned_level, message))
        for matcher in _pick(self._required, locales):
            present: set[int] = set()
            for scanned in scans.values():
                present |= matcher.find(scanned)
            for index, label in enumerate(matcher.labels):
                if index not in present:
                    message = f"Required phrase {label!r} not found"
                    issues.append(QAIssue("phrase.required_missing", self._required_level, message))
        return issues


def build(config: PhrasesConfig, overrides: Mapping[str, Severity]) -> PhrasesCheck | None:
    """The check for one job; None without phrases to look for (or with their codes off)."""
    found = levels(CODES, overrides)
    # A list whose code is off is not searched at all.
    banned = _by_locale(config.banned_phrases, found["phrase.banned"] != "off")
    required = _by_locale(config.required_phrases, found["phrase.required_missing"] != "off")
    return PhrasesCheck(banned, required, found) if banned or required else None


CHECK = QACheckDefinition(name="phrases", codes=CODES, config=PhrasesConfig, build=build, flat=True)
