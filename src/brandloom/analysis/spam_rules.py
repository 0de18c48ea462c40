"""The rule-based spam score: weighted trigger phrases (``data/spam_phrases.tsv``), shouting,
money marks, fake replies and URL shorteners.

Bulk QA (``spam.score``, compared with ``qa.spam_threshold``) and ``analyze``
(``spam_rules_score``) share this scorer; the learned ``spam_score`` is ``analysis.spam``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from brandloom.kit.text import PhraseMatcher, TextScan, normalize, scan

SHORTENERS = frozenset(
    {
        "bit.ly", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
        "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly",
    }
)  # fmt: skip
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)


@cache
def load_spam_phrases() -> tuple[tuple[str, float], ...]:
    """The shipped spam-trigger phrases with their weights (``data/spam_phrases.tsv``)."""
    path = resources.files("brandloom.analysis").joinpath("data", "spam_phrases.tsv")
    phrases: list[tuple[str, float]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, weight = line.partition("\t")
        phrases.append((phrase.strip(), float(weight)))
    return tuple(phrases)


class SpamRules:
    """Scores one message from the scans of its parts; build once, score many."""

    def __init__(self) -> None:
        spam = load_spam_phrases()
        self._matcher = PhraseMatcher(p for p, _ in spam)
        weights = {" ".join(normalize(p).split()): w for p, w in spam}
        self._weights = [weights[" ".join(normalize(p).split())] for p in self._matcher.labels]

    def score(
        self,
        scans: Mapping[str, TextScan],
        subject: str | None,
        body: TextScan | None,
        hosts: Sequence[str],
    ) -> float:
        """``scans``: the scans of the subject, preheader and body parts by name; ``body`` is the
        scan of the body (the text, markdown or stripped HTML), else the SMS; ``hosts``: the hosts
        of the message's links."""
        score = 0.0
        weights = self._weights
        subject_hits: set[int] = set()
        if "subject" in scans:
            subject_hits = self._matcher.find(scans["subject"])
        body_hits: set[int] = set()
        for name, scanned in scans.items():
            if name not in ("subject", "preheader"):
                body_hits |= self._matcher.find(scanned)
        if "preheader" in scans:
            body_hits |= self._matcher.find(scans["preheader"])
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
        if any(host in SHORTENERS for host in hosts):
            score += 1.0  # URL shorteners hide the destination
        return round(score, 2)

    def score_text(self, text: str, *, subject: str | None = None) -> float:
        """The score of a plain-text body (and an optional subject); links are found in both."""
        scans: dict[str, TextScan] = {}
        if subject:
            scans["subject"] = scan(subject)
        body = scan(text) if text else None
        if body is not None:
            scans["text"] = body
        return self.score(scans, subject, body, link_hosts(f"{subject or ''}\n{text}"))


def link_hosts(text: str) -> list[str]:
    """The lower-case hosts of the http(s) URLs written in ``text``."""
    hosts = []
    for url in _URL.findall(text):
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if host:
            hosts.append(host)
    return hosts


@cache
def spam_rules() -> SpamRules:
    """One shared scorer."""
    return SpamRules()
