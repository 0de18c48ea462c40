"""API shapes for audiences."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from brandloom.audiences.models import Audience, AudienceState


class AudienceRead(BaseModel):
    """An audience. While it is importing, what the file holds and the summary are null."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    state: Literal["importing", "ready", "failed"]
    job_id: str | None
    error: str | None
    format: str | None
    encoding: str | None
    delimiter: str | None
    headers: list[str] | None
    mapping: dict[str, str] | None
    variables: list[str] | None
    types: dict[str, str] | None = None  # declared column types (variable -> type)
    rows_read: int | None
    accepted: int | None
    rejected: int | None
    rejected_by_code: dict[str, int] | None
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _summary_once_ready(cls, data: object) -> object:
        if isinstance(data, Audience) and data.state != AudienceState.READY:
            summary = ("rows_read", "accepted", "rejected", "rejected_by_code")
            values = {name: getattr(data, name) for name in cls.model_fields}
            return {**values, **dict.fromkeys(summary)}
        return data


class AudienceImportRead(AudienceRead):
    reused: bool


class RejectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int
    code: str
    reason: str
    raw: list[str]
