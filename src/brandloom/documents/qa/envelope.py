"""The subject and the preheader: present (e-mail only) and not too long."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.qa.base import (
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    any_on,
    levels,
)

CODES: dict[str, IssueLevel] = {
    "subject.missing": "fail",
    "subject.too_long": "warn",
    "preheader.too_long": "warn",
}
# Parts that make a document an e-mail, which needs a subject (an SMS-only one does not).
_EMAIL_PARTS = ("subject", "preheader", "html", "text")


class EnvelopeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_max_chars: int = Field(default=78, ge=1)
    subject_required: bool = True
    preheader_max_chars: int = Field(default=140, ge=1)


class EnvelopeCheck:
    def __init__(self, config: EnvelopeConfig, found: Mapping[str, str]) -> None:
        self._subject_max = config.subject_max_chars
        self._preheader_max = config.preheader_max_chars
        self._missing = found["subject.missing"]
        self._too_long = found["subject.too_long"]
        self._preheader = found["preheader.too_long"]

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        issues: list[QAIssue] = []
        parts = doc.parts
        subject = parts.get("subject")
        if (
            self._missing != "off"
            and (subject is None or not subject.strip())
            and any(k in parts for k in _EMAIL_PARTS)
        ):
            issues.append(QAIssue("subject.missing", self._missing, "Subject is missing or empty"))
        if subject is not None and len(subject) > self._subject_max and self._too_long != "off":
            message = f"Subject is {len(subject)} characters (max {self._subject_max})"
            issues.append(QAIssue("subject.too_long", self._too_long, message))
        preheader = parts.get("preheader")
        if (
            preheader is not None
            and len(preheader) > self._preheader_max
            and self._preheader != "off"
        ):
            message = f"Preheader is {len(preheader)} characters (max {self._preheader_max})"
            issues.append(QAIssue("preheader.too_long", self._preheader, message))
        return issues


def build(config: EnvelopeConfig, overrides: Mapping[str, Severity]) -> EnvelopeCheck | None:
    """The check for one job; None when every code is off."""
    found = levels(CODES, overrides, off=() if config.subject_required else ["subject.missing"])
    return EnvelopeCheck(config, found) if any_on(found) else None


CHECK = QACheckDefinition(
    name="envelope", codes=CODES, config=EnvelopeConfig, build=build, flat=True
)
