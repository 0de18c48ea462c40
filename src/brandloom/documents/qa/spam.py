"""A spam score: weighted trigger phrases (``data/spam_phrases.tsv``), shouting, money marks,
fake replies and URL shorteners. It warns at half the threshold and fails at the threshold,
unless ``severity:`` sets its level; the score itself is reported in ``QAResult.spam_score``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
)
from brandloom.kit.text import PhraseMatcher, TextScan, normalize

CODES: dict[str, IssueLevel] = {
    "spam.score": "warn",  # fail at >= spam_threshold, warn at >= spam_threshold / 2
}
_SHORTENERS = frozenset(
    {
        "bit.ly", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
        "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly",
    }
)  # fmt: skip


@cache
def load_spam_phrases() -> tuple[tuple[str, float], ...]:
    """The shipped spam-trigger phrases with their weights (``data/spam_phrases.tsv``)."""
    path = resources.files("brandloom.documents").joinpath("data", "spam_phrases.tsv")
    phrases: list[tuple[str, float]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, weight = line.partition("\t")
        phrases.append((phrase.strip(), float(weight)))
    return tuple(phrases)


class SpamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spam_threshold: float = Field(default=5.0, gt=0)


class SpamCheck:
    """Runs after the links check, whose hosts it reads (URL shorteners)."""

    def __init__(self, config: SpamConfig, override: Severity | None) -> None:
        self._threshold = config.spam_threshold
        self._override = override
        spam = load_spam_phrases()
        self._spam = PhraseMatcher(p for p, _ in spam)
        weights = {" ".join(normalize(p).split()): w for p, w in spam}
        self._spam_weights = [weights[" ".join(normalize(p).split())] for p in self._spam.labels]

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        scans = doc.scans
        body_name, body = doc.body
        if body:
            body_scan = scans.get(body_name)
        else:
            body_scan = scans.get("sms") if doc.parts.get("sms") else None
        score = doc.spam_score = self._score(
            scans, doc.parts.get("subject"), body_scan, doc.link_hosts
        )
        if score < self._threshold / 2:
            return NO_ISSUES
        severity = self._override or ("fail" if score >= self._threshold else "warn")
        message = f"Spam score {score:g} (threshold {self._threshold:g})"
        return (QAIssue("spam.score", severity, message),)

    def _score(
        self,
        scans: Mapping[str, TextScan],
        subject: str | None,
        body: TextScan | None,
        hosts: Sequence[str],
    ) -> float:
        """``body`` is the scan of the body (the text, markdown or stripped HTML), else the SMS."""
        score = 0.0
        weights = self._spam_weights
        subject_hits: set[int] = set()
        if "subject" in scans:
            subject_hits = self._spam.find(scans["subject"])
        body_hits: set[int] = set()
        for name, scanned in scans.items():
            if name not in ("subject", "preheader"):
                body_hits |= self._spam.find(scanned)
        if "preheader" in scans:
            body_hits |= self._spam.find(scans["preheader"])
        for index in subject_hits:
            score += weights[index] * 1.5
        for index in body_hits - subject_hits:
            score += weights[index]

        if subject:
            subject_scan = scans["subject"]  # ASCII letters and capitals counted there
            if subject_scan.letters >= 4 and subject_scan.upper == subject_scan.letters:
                score += 1.5  # ALL-CAPS subject
            elif any(len(w) >= 4 and w.isupper() and w.isalpha() for w in subject.split()):
                score += 0.5  # a shouted word
            if "!!" in subject:
                score += 1.0
            if subject.lstrip().lower().startswith(("re:", "fw:", "fwd:")):
                score += 0.75  # fake reply/forward
        marks = body.marks if body is not None else 0
        if marks & 1:  # "!!!" in the body
            score += 0.5
        if marks & 2 or (subject is not None and "$$$" in subject):
            score += 1.0
        if body is not None and body.letters >= 50:  # ASCII letters in the body
            ratio = body.upper / body.letters
            if ratio > 0.5:
                score += 1.5
            elif ratio > 0.3:
                score += 0.75
        if any(host in _SHORTENERS for host in hosts):
            score += 1.0  # URL shorteners hide the destination
        return round(score, 2)


def build(config: SpamConfig, overrides: Mapping[str, Severity]) -> SpamCheck | None:
    """The check for one job; None when ``spam.score`` is off (the score is then 0)."""
    override = overrides.get("spam.score")
    return SpamCheck(config, override) if override != "off" else None


CHECK = QACheckDefinition(name="spam", codes=CODES, config=SpamConfig, build=build, flat=True)
