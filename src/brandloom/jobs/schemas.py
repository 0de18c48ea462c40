"""API shapes for jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.qa import QAConfig
from brandloom.jobs.spec import EmailSpec, ErrorThreshold, TemplateSpec, VariantSpec


class JobCreate(BaseModel):
    """A job spec as JSON: the audience and template are referred to by id (or inline parts)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500)
    locale: str = "en-US"
    audience_id: str
    template_id: str | None = None
    template: TemplateSpec | None = None
    variants: list[VariantSpec] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=lambda: ["html", "txt"])
    sink: Literal["dir", "zip", "jsonl"] = "dir"
    qa: QAConfig = Field(default_factory=QAConfig)
    email: EmailSpec = Field(default_factory=EmailSpec)
    seed: int | str = 0
    chunk_size: int = Field(default=1000, ge=10, le=100_000)
    error_threshold: ErrorThreshold | None = Field(default_factory=ErrorThreshold)


class JobProgress(BaseModel):
    contacts_total: int
    contacts_done: int
    chunks_total: int
    chunks_done: int
    percent: float


class JobRead(BaseModel):
    id: str
    name: str
    state: Literal["queued", "running", "paused", "done", "failed", "cancelled"]
    progress: JobProgress
    audience_id: str
    template_id: str
    report: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ManifestEntry(BaseModel):
    key: str
    row: int
    variant: str | None
    qa: dict[str, Any]
    files: dict[str, str]
