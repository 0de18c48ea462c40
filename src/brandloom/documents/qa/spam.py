"""The rule-based spam score (:mod:`brandloom.analysis.spam_rules`: trigger phrases, shouting,
money marks, fake replies, URL shorteners) as a QA check. It warns at half the threshold and
fails at the threshold, unless ``severity:`` sets its level; the score itself is reported in
``QAResult.spam_score``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from brandloom.analysis.spam_rules import spam_rules
from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
)

CODES: dict[str, IssueLevel] = {
    "spam.score": "warn",  # fail at >= spam_threshold, warn at >= spam_threshold / 2
}


class SpamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spam_threshold: float = Field(default=5.0, gt=0)


class SpamCheck:
    """Runs after the links check, whose hosts it reads (URL shorteners)."""

    def __init__(self, config: SpamConfig, override: Severity | None) -> None:
        self._threshold = config.spam_threshold
        self._override = override
        self._rules = spam_rules()

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        scans = doc.scans
        body_name, body = doc.body
        if body:
            body_scan = scans.get(body_name)
        else:
            body_scan = scans.get("sms") if doc.parts.get("sms") else None
        score = doc.spam_score = self._rules.score(
            scans, doc.parts.get("subject"), body_scan, doc.link_hosts
        )
        if score < self._threshold / 2:
            return NO_ISSUES
        severity = self._override or ("fail" if score >= self._threshold else "warn")
        message = f"Spam score {score:g} (threshold {self._threshold:g})"
        return (QAIssue("spam.score", severity, message),)


def build(config: SpamConfig, overrides: Mapping[str, Severity]) -> SpamCheck | None:
    """The check for one job; None when ``spam.score`` is off (the score is then 0)."""
    override = overrides.get("spam.score")
    return SpamCheck(config, override) if override != "off" else None


CHECK = QACheckDefinition(name="spam", codes=CODES, config=SpamConfig, build=build, flat=True)
