"""The SMS part's length in segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.formats.sms import sms_info
from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    levels,
)

CODES: dict[str, IssueLevel] = {"sms.too_many_segments": "fail"}


class SmsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sms_max_segments: int = Field(default=2, ge=1)


class SmsCheck:
    def __init__(self, config: SmsConfig, level: str) -> None:
        self._max = config.sms_max_segments
        self._level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        sms = doc.parts.get("sms")
        if sms is None:
            return NO_ISSUES
        info = sms_info(sms)
        if info.segments <= self._max:
            return NO_ISSUES
        message = (
            f"SMS needs {info.segments} segments ({info.units} {info.encoding} units; "
            f"max {self._max})"
        )
        return (QAIssue("sms.too_many_segments", self._level, message),)


def build(config: SmsConfig, overrides: Mapping[str, Severity]) -> SmsCheck | None:
    """The check for one job; None when its code is off."""
    level = levels(CODES, overrides)["sms.too_many_segments"]
    return SmsCheck(config, level) if level != "off" else None


CHECK = QACheckDefinition(name="sms", codes=CODES, config=SmsConfig, build=build, flat=True)
