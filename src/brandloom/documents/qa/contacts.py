"""A contact whose e-mail address an earlier row of the audience has (``contact.duplicate_email``).

Two contacts with different keys and the same address would both be mailed. Which row came
first is decided when the audience is imported (chunks render apart, in parallel): each contact
carries the row of its address's first occurrence, and a document whose contact is not that
row gets the issue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    levels,
)

CODES: dict[str, IssueLevel] = {"contact.duplicate_email": "warn"}


class ContactsConfig(BaseModel):
    """No settings: the level is set like any code's, in ``qa.severity``."""

    model_config = ConfigDict(extra="forbid")


class DuplicateEmailCheck:
    def __init__(self, level: str) -> None:
        self._level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        first = doc.duplicate_of
        if first is None:
            return NO_ISSUES
        message = f"The same e-mail address as row {first}: both contacts would be mailed"
        return (QAIssue("contact.duplicate_email", self._level, message),)


def build(config: ContactsConfig, overrides: Mapping[str, Severity]) -> DuplicateEmailCheck | None:
    """The check for one job; None when its code is off."""
    level = levels(CODES, overrides)["contact.duplicate_email"]
    return DuplicateEmailCheck(level) if level != "off" else None


# Flat, though new: it has no settings, so it adds no key to ``qa:`` (a nested one would be an
# empty ``qa.contacts`` section).
CHECK = QACheckDefinition(
    name="contacts", codes=CODES, config=ContactsConfig, build=build, flat=True
)
