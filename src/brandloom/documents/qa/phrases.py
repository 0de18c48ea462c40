"""Banned and required phrases (matching rules: :mod:`brandloom.kit.text`).

Phrases are searched in the subject, the preheader, the SMS and the body: the text part, else
the markdown part, else the HTML's text. A required phrase is satisfied when it occurs in any
of these parts.
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

CODES: dict[str, IssueLevel] = {"phrase.banned": "fail", "phrase.required_missing": "fail"}


class PhrasesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    banned_phrases: list[str] = Field(default_factory=list)
    required_phrases: list[str] = Field(default_factory=list)

    @field_validator("banned_phrases", "required_phrases")
    @classmethod
    def _strip_phrases(cls, value: list[str]) -> list[str]:
        return [p.strip() for p in value if p.strip()]


class PhrasesCheck:
    def __init__(
        self, banned: PhraseMatcher, required: PhraseMatcher, found: Mapping[str, str]
    ) -> None:
        self._banned = banned
        self._required = required
        self._banned_level = found["phrase.banned"]
        self._required_level = found["phrase.required_missing"]

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        issues: list[QAIssue] = []
        scans = doc.scans
        if self._banned:
            hits: dict[int, list[str]] = {}
            for name, scanned in scans.items():
                for index in self._banned.find(scanned):
                    hits.setdefault(index, []).append(name)
            for index in sorted(hits):
                message = (
                    f"Banned phrase {self._banned.labels[index]!r} in {', '.join(hits[index])}"
                )
                issues.append(QAIssue("phrase.banned", self._banned_level, message))
        if self._required:
            present: set[int] = set()
            for scanned in scans.values():
                present |= self._required.find(scanned)
            for index, label in enumerate(self._required.labels):
                if index not in present:
                    message = f"Required phrase {label!r} not found"
                    issues.append(QAIssue("phrase.required_missing", self._required_level, message))
        return issues


def build(config: PhrasesConfig, overrides: Mapping[str, Severity]) -> PhrasesCheck | None:
    """The check for one job; None without phrases to look for (or with their codes off)."""
    found = levels(CODES, overrides)
    # A list whose code is off is not searched at all.
    banned = PhraseMatcher(config.banned_phrases if found["phrase.banned"] != "off" else ())
    required = PhraseMatcher(
        config.required_phrases if found["phrase.required_missing"] != "off" else ()
    )
    return PhrasesCheck(banned, required, found) if banned or required else None


CHECK = QACheckDefinition(name="phrases", codes=CODES, config=PhrasesConfig, build=build, flat=True)
