"""API shapes for render jobs: the job request and the manifest."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from brandloom.documents.qa import QAConfig
from brandloom.documents.spec import EmailSpec, TemplateSpec, VariantSpec
from brandloom.jobs.threshold import ErrorThreshold


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


class ManifestEntry(BaseModel):
    key: str
    row: int
    variant: str | None
    qa: dict[str, Any]
    files: dict[str, str]
