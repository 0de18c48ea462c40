"""API shapes for render jobs: the job request and the manifest."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from brandloom.documents.spec import RenderOptions, RenderSpec

__all__ = [
    "JobCreate",
    "ManifestEntry",
    "PreviewOptions",
    "RenderSpec",
    "TemplatePreviewRead",
    "TemplatePreviewRequest",
]


# The request body of ``POST /v1/jobs`` is the render spec itself.
JobCreate = RenderSpec


class ManifestEntry(BaseModel):
    key: str
    row: int
    variant: str | None
    locale: str | None = None  # the catalog locale of its messages
    qa: dict[str, Any]
    files: dict[str, str]


class PreviewOptions(RenderOptions):
    """The render options of the job the preview stands for (``POST /v1/jobs`` without the
    audience and template): variants, QA, locale, outputs, e-mail settings, seed."""

    name: str = Field(default="preview", min_length=1, max_length=500)


class TemplatePreviewRequest(BaseModel):
    """One contact, inline or by its key in an audience, rendered with a stored template."""

    model_config = ConfigDict(extra="forbid")

    contact: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="field -> value, as a row of an audience file"
    )
    audience_id: str | None = None
    key: str | None = Field(default=None, description="the contact's key in the audience")
    variant: str | None = Field(default=None, description="default: the variant a job assigns")
    locale: str | None = Field(default=None, description="default: the contact's locale")
    options: PreviewOptions = Field(default_factory=PreviewOptions)

    @model_validator(mode="after")
    def _one_contact(self) -> Self:
        by_key = self.audience_id is not None or self.key is not None
        if (self.contact is None) == (not by_key):
            raise ValueError("give either 'contact' or 'audience_id' and 'key'")
        if by_key and (self.audience_id is None or self.key is None):
            raise ValueError("'audience_id' and 'key' go together")
        return self


class QARead(BaseModel):
    status: str
    issues: list[dict[str, Any]]


class TemplatePreviewRead(BaseModel):
    key: str
    variant: str | None
    locale: str
    parts: dict[str, str]
    qa: QARead
