"""Images in the HTML without an ``alt`` attribute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from brandloom.documents.qa._html import ALT_RE, SRC_RE
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
from brandloom.kit.text import is_word_char

CODES: dict[str, IssueLevel] = {"image.missing_alt": "warn"}


class ImagesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check_images_alt: bool = True


class ImagesCheck:
    def __init__(self, level: str) -> None:
        self._level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        html = doc.html
        if html is None:
            return NO_ISSUES
        lowered = doc.lowered_html
        source = html if len(lowered) == len(html) else lowered
        missing: list[str] = []
        pos = lowered.find("<img")
        while pos >= 0:
            end = lowered.find(">", pos)
            end = len(lowered) if end < 0 else end
            tag = lowered[pos:end]
            after = lowered[pos + 4 : pos + 5]
            if not (after and is_word_char(after)) and ALT_RE.search(tag) is None:
                src = SRC_RE.search(tag)
                where = source[pos + src.start(1) : pos + src.end(1)] if src else "(no src)"
                missing.append(shorten(where.strip("'\"")))
            pos = lowered.find("<img", end)
        if not missing:
            return NO_ISSUES
        message = f"{len(missing)} image(s) without alt attribute: {example_list(missing)}"
        return (QAIssue("image.missing_alt", self._level, message),)


def build(config: ImagesConfig, overrides: Mapping[str, Severity]) -> ImagesCheck | None:
    """The check for one job; None with ``check_images_alt: false`` or its code off."""
    level = levels(CODES, overrides, off=() if config.check_images_alt else CODES)
    return ImagesCheck(level["image.missing_alt"]) if level["image.missing_alt"] != "off" else None


CHECK = QACheckDefinition(name="images", codes=CODES, config=ImagesConfig, build=build, flat=True)
