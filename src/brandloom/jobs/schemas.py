"""API shapes for jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class JobProgress(BaseModel):
    contacts_total: int
    contacts_done: int
    chunks_total: int
    chunks_done: int
    percent: float


class JobWarning(BaseModel):
    code: str
    message: str


class JobRead(BaseModel):
    id: str
    kind: str
    name: str
    state: Literal["queued", "running", "paused", "done", "failed", "cancelled"]
    progress: JobProgress
    audience_id: str | None
    template_id: str | None
    report: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    warnings: list[JobWarning] = Field(
        default_factory=list,
        description="What creating the job found worth a second look (a catalog no contact "
        "gets, ...): in the answer to the creation and in the report.",
    )
