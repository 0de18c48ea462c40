"""Contacts whose consent is not ``granted`` (only with ``require_consent: true``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    levels,
)

CODES: dict[str, IssueLevel] = {"consent.missing": "fail"}


class ConsentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_consent: bool = Field(
        default=False, description="fail contacts whose consent is not granted"
    )


class ConsentCheck:
    def __init__(self, level: str) -> None:
        self._level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        if doc.consent == "granted":
            return NO_ISSUES
        message = f"Contact consent is {doc.consent!r}, not 'granted'"
        return (QAIssue("consent.missing", self._level, message),)


def build(config: ConsentConfig, overrides: Mapping[str, Severity]) -> ConsentCheck | None:
    """The check for one job; None unless consent is required (and its code is not off)."""
    level = levels(CODES, overrides, off=() if config.require_consent else CODES)
    return ConsentCheck(level["consent.missing"]) if level["consent.missing"] != "off" else None


CHECK = QACheckDefinition(name="consent", codes=CODES, config=ConsentConfig, build=build, flat=True)
