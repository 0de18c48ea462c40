"""API shapes for brands (the CLI prints the same objects as JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from brandloom.brands.kit import SHIPPED_FONTS
from brandloom.brands.library import FORMATS
from brandloom.insights.service import MAX_TEXTS

GUIDELINES_KEYS = (
    "brand_name, tone, do, dont, banned_terms, glossary, required_disclaimers, reading_level, "
    "emoji, exclamation, formality"
)
KIT_KEYS = "colors, font, address, legal_footer, sender"
MAX_JSON_TEXTS = 10_000
"""Texts per JSON library import (a file holds more)."""


class BrandCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    guidelines: dict[str, Any] | None = Field(
        default=None, description=f"The guidelines (version 1): {GUIDELINES_KEYS}."
    )
    kit: dict[str, Any] | None = Field(
        default=None,
        description=f"The visual kit: {KIT_KEYS} (the logo is uploaded on its own). Fonts: "
        + ", ".join(SHIPPED_FONTS)
        + ".",
    )


class BrandUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class BrandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kit: dict[str, Any] = Field(description="colors, font, address, legal_footer, sender.")
    logo_media_type: str | None = Field(
        description="image/png or image/svg+xml; null without a logo."
    )
    guidelines_version: int | None = Field(description="The current guidelines; null: none.")
    created_at: datetime
    updated_at: datetime


class GuidelinesRead(BaseModel):
    version: int
    guidelines: dict[str, Any]
    created_at: datetime


class GuidelinesSaved(GuidelinesRead):
    changed: bool = Field(
        description="Whether this made a new version (false: equal to the current ones)."
    )


class LibraryTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    channel: str | None = None
    locale: str | None = None


class LibraryImport(BaseModel):
    """``POST /v1/brands/{id}/library`` as JSON (a file goes as multipart ``file``)."""

    model_config = ConfigDict(extra="forbid")

    texts: list[LibraryTextIn] = Field(max_length=MAX_JSON_TEXTS)


class RejectRead(BaseModel):
    """A rejected text: its ``line`` (``row`` in CSV/TSV files and JSON imports) and why."""

    line: int | None = None
    row: int | None = None
    reason: str


class ImportReportRead(BaseModel):
    format: str = Field(description=f"{', '.join(FORMATS)}, or json.")
    accepted: int = Field(description="Texts stored.")
    duplicates: int = Field(description="Texts the library (or the file) already held.")
    rejected_total: int
    rejected: list[RejectRead] = Field(description="The first 1,000 rejected texts.")


class LibraryTextRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    text: str
    channel: str | None
    locale: str | None
    created_at: datetime


class VoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    guidelines_version: int | None = Field(description="Current when the voice was trained.")
    format: str
    n_texts: int = Field(description="Library texts it was fitted on.")
    summary: dict[str, Any] = Field(
        description="What the profile learned: texts, languages, averages, distinctive terms."
    )
    created_at: datetime


class TextsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[str] = Field(
        description=f"At most {MAX_TEXTS} texts; one result per text, in order."
    )
    channel: str | None = Field(
        default=None, description="email, sms, ...: picks the disclaimers the text needs."
    )
    locale: str | None = Field(
        default=None, description="BCP 47 (de-DE): per-language terms and the formality rule."
    )


class ViolationRead(BaseModel):
    code: str
    span: list[int] | None = Field(description="[start, end) code-point offsets; null: whole.")
    message: str
    suggestion: str | None
    severity: str


class ScoreItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    score: float = Field(description="0-100: how close the text is to the brand's voice.")
    dimensions: dict[str, dict[str, Any]] = Field(
        description="name -> {score, explanation, suggestion}."
    )
    violations: list[ViolationRead]
    suggestions: list[str]
    language: str | None = Field(default=None, description="The language it was read in.")
    voice_id: str
    guidelines_version: int | None


class ScoreResponse(BaseModel):
    items: list[ScoreItem]


class LintItem(BaseModel):
    index: int
    violations: list[ViolationRead]
    guidelines_version: int


class LintResponse(BaseModel):
    items: list[LintItem]
