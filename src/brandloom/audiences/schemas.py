"""API shapes for audiences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AudienceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    mapping: dict[str, str]
    variables: list[str]
    rows_read: int
    accepted: int
    rejected: int
    rejected_by_code: dict[str, int]
    created_at: datetime


class AudienceImportRead(AudienceRead):
    reused: bool


class RejectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int
    code: str
    reason: str
    raw: list[str]
