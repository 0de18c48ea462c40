"""Values a formatting filter could not read (printed unchanged instead of formatted)."""

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
    example_list,
    levels,
    shorten,
)

CODES: dict[str, IssueLevel] = {"filter.unparsed_value": "warn"}


class FiltersConfig(BaseModel):
    """No settings of its own (the code's level comes from ``severity:``)."""

    model_config = ConfigDict(extra="forbid")


class FiltersCheck:
    def __init__(self, level: str) -> None:
        self._level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        if not doc.unparsed:
            return NO_ISSUES
        found = [f"{name}({shorten(value, 40)!r})" for name, value in dict.fromkeys(doc.unparsed)]
        return (
            QAIssue(
                "filter.unparsed_value",
                self._level,
                f"Values printed unformatted because the filter could not read them: "
                f"{example_list(found)} (declare the column in audience.types, with "
                "audience.locale for numbers and dates written the local way)",
            ),
        )


def build(config: FiltersConfig, overrides: Mapping[str, Severity]) -> FiltersCheck | None:
    """The check for one job; None when the code is off."""
    level = levels(CODES, overrides)["filter.unparsed_value"]
    return FiltersCheck(level) if level != "off" else None


CHECK = QACheckDefinition(name="filters", codes=CODES, config=FiltersConfig, build=build)
