"""API shapes for render jobs: the job request and the manifest."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from brandloom.documents.spec import RenderSpec

__all__ = ["JobCreate", "ManifestEntry", "RenderSpec"]


# The request body of ``POST /v1/jobs`` is the render spec itself.
JobCreate = RenderSpec


class ManifestEntry(BaseModel):
    key: str
    row: int
    variant: str | None
    qa: dict[str, Any]
    files: dict[str, str]
