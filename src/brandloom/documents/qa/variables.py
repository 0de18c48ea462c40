"""Template variables that had no value, or rendered empty."""

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
    any_on,
    levels,
)

CODES: dict[str, IssueLevel] = {"variable.unresolved": "fail", "variable.empty": "warn"}


class VariablesConfig(BaseModel):
    """No settings of its own (the codes' levels come from ``severity:``)."""

    model_config = ConfigDict(extra="forbid")


class VariablesCheck:
    def __init__(self, found: Mapping[str, str]) -> None:
        self._unresolved = found["variable.unresolved"]
        self._empty = found["variable.empty"]

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        if not (doc.unresolved or doc.empty):
            return NO_ISSUES
        issues = []
        if doc.unresolved and self._unresolved != "off":
            names = ", ".join(dict.fromkeys(doc.unresolved))
            issues.append(
                QAIssue("variable.unresolved", self._unresolved, f"Unresolved variables: {names}")
            )
        if doc.empty and self._empty != "off":
            names = ", ".join(dict.fromkeys(doc.empty))
            issues.append(
                QAIssue("variable.empty", self._empty, f"Variables rendered empty: {names}")
            )
        return issues


def build(config: VariablesConfig, overrides: Mapping[str, Severity]) -> VariablesCheck | None:
    """The check for one job; None when both codes are off."""
    found = levels(CODES, overrides)
    return VariablesCheck(found) if any_on(found) else None


CHECK = QACheckDefinition(
    name="variables", codes=CODES, config=VariablesConfig, build=build, flat=True
)
