"""Images (``<img>`` elements) in the HTML without an ``alt`` attribute; ``alt=""`` (a
decorative image) counts as one."""

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

CODES: dict[str, IssueLevel] = {"image.missing_alt": "warn"}


class ImagesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check_images_alt: bool = True


class ImagesCheck:
    def __init__(self, level: str) -> None:
        self._level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        if doc.html is None:
            return NO_ISSUES
        missing = [shorten(src) if src else "(no src)" for src in doc.html_facts.images_without_alt]
        if not missing:
            return NO_ISSUES
        message = f"{len(missing)} image(s) without alt attribute: {example_list(missing)}"
        return (QAIssue("image.missing_alt", self._level, message),)


def build(config: ImagesConfig, overrides: Mapping[str, Severity]) -> ImagesCheck | None:
    """The check for one job; None with ``check_images_alt: false`` or its code off."""
    level = levels(CODES, overrides, off=() if config.check_images_alt else CODES)
    return ImagesCheck(level["image.missing_alt"]) if level["image.missing_alt"] != "off" else None


CHECK = QACheckDefinition(name="images", codes=CODES, config=ImagesConfig, build=build, flat=True)
