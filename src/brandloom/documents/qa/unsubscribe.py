"""A bulk e-mail must let its reader unsubscribe: ``unsubscribe.missing``.

A document passes with any of:

- a ``List-Unsubscribe`` header, when the job writes ``eml`` (from ``email.unsubscribe_url``,
  rendered per contact, or ``email.unsubscribe_mailto``; with an https URL also RFC 8058
  one-click, which Gmail and Yahoo require of bulk senders). An ``html`` file travels without
  headers, so for it only the links count;
- an ``<a href>`` equal to the rendered ``email.unsubscribe_url``;
- a link whose text or URL holds an unsubscribe word (``data/unsubscribe_words.tsv``, per
  language, plus ``qa.unsubscribe.words``). The words of every language count in every document;
  the contact's language picks the words the issue suggests.

Without an HTML part, the text body is searched for the URL or a word instead of the links.

The level follows the job's outputs: ``fail`` with ``eml`` (a message ready to send), ``warn``
with ``html`` only, off for jobs that write no e-mail; ``severity:`` overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    QAJob,
    Severity,
)

CODES: dict[str, IssueLevel] = {"unsubscribe.missing": "fail"}
_CACHE_LIMIT = 20_000
_CACHED_LENGTH = 500


@cache
def load_unsubscribe_words() -> Mapping[str, tuple[str, ...]]:
    """The shipped unsubscribe words per language (``data/unsubscribe_words.tsv``)."""
    path = resources.files("brandloom.documents").joinpath("data", "unsubscribe_words.tsv")
    words: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, _, word = line.partition("\t")
        words.setdefault(language.strip(), []).append(_normalize(word))
    return {language: tuple(found) for language, found in words.items()}


def _normalize(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


class UnsubscribeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    words: dict[str, list[str]] = Field(
        default_factory=dict,
        description="more link words per language, e.g. {en: [manage preferences]}",
    )

    @field_validator("words")
    @classmethod
    def _clean(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {
            language.strip().lower(): [w for w in (_normalize(w) for w in words) if w]
            for language, words in value.items()
        }


class UnsubscribeCheck:
    #: Rendered for this check even when no output is made of it (see QAChecker.parts).
    parts = ("unsubscribe_url",)

    def __init__(
        self, level: str, words: Mapping[str, Sequence[str]], *, headers: bool, mailto: bool
    ) -> None:
        self._level = level
        self._words = words
        every = sorted({w for found in words.values() for w in found}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, every))) if every else None
        self._headers = headers  # the job writes eml: its header counts
        self._mailto = mailto
        self._seen: dict[str, bool] = {}

    def _says_unsubscribe(self, text: str) -> bool:
        # Remembered per text: most links are the template's own, the same in every document.
        found = self._seen.get(text)
        if found is None:
            pattern = self._pattern
            found = pattern is not None and pattern.search(_normalize(text)) is not None
            if len(text) <= _CACHED_LENGTH:  # not whole text bodies
                if len(self._seen) >= _CACHE_LIMIT:
                    self._seen.clear()
                self._seen[text] = found
        return found

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        url = (doc.parts.get("unsubscribe_url") or "").strip()
        if self._headers and (url or self._mailto):
            return NO_ISSUES
        says = self._says_unsubscribe
        if doc.html is not None:
            anchors = doc.html_facts.anchors
            for href, text in anchors:
                if (url and href == url) or says(text):
                    return NO_ISSUES
            for href, _ in anchors:
                if says(unquote(href) if "%" in href else href):
                    return NO_ISSUES
        else:
            body = doc.body[1]
            if body and ((url and url in body) or says(body)):
                return NO_ISSUES
        locale = doc.locales[0] if doc.locales else None
        return (QAIssue("unsubscribe.missing", self._level, self._message(locale)),)

    def _message(self, locale: str | None) -> str:
        language = (locale or "").replace("_", "-").partition("-")[0].lower()
        suggested = list(self._words.get(language, ())[:2])
        if "unsubscribe" not in suggested:
            suggested.append("unsubscribe")
        saying = " or ".join(repr(w) for w in suggested)
        header = "no List-Unsubscribe header (email.unsubscribe_url or unsubscribe_mailto), "
        return (
            f"No way to unsubscribe: {header if self._headers else ''}"
            f"no link to email.unsubscribe_url and no link saying {saying}"
        )


def build_for_job(
    config: UnsubscribeConfig, overrides: Mapping[str, Severity], job: QAJob
) -> UnsubscribeCheck | None:
    """The check for one job; None when the job writes no e-mail (or the code is off)."""
    outputs = job.outputs
    default = "fail" if "eml" in outputs else "warn" if "html" in outputs else "off"
    level = overrides.get("unsubscribe.missing", default)
    if level == "off":
        return None
    words = {language: list(found) for language, found in load_unsubscribe_words().items()}
    for language, extra in config.words.items():
        words.setdefault(language, []).extend(extra)
    return UnsubscribeCheck(level, words, headers="eml" in outputs, mailto=job.unsubscribe_mailto)


def build(config: UnsubscribeConfig, overrides: Mapping[str, Severity]) -> UnsubscribeCheck | None:
    """The check without knowing the job's outputs: off unless ``severity:`` turns it on."""
    return build_for_job(config, overrides, QAJob())


CHECK = QACheckDefinition(
    name="unsubscribe",
    codes=CODES,
    config=UnsubscribeConfig,
    build=build,
    build_for_job=build_for_job,
)
