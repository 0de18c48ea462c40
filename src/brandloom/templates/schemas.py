"""API shapes for templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.templates.parts import TEXT_PARTS, check_locale_parts


def _known_parts(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(TEXT_PARTS))
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}; parts are {list(TEXT_PARTS)}")
    if not value:
        raise ValueError("at least one part is required")
    return value


class TemplateBody(BaseModel):
    """A template's engine and text parts (``subject``, ``html``, ...), and its languages."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["jinja", "liquid"] = "jinja"
    parts: dict[str, str]
    messages: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="Message catalogs, locale -> key -> message, read in parts as {{ t.key }}.",
        examples=[
            {"en": {"greeting": "Hello {first_name}"}, "de": {"greeting": "Hallo {first_name}"}}
        ],
    )
    locales: dict[str, dict[str, str]] | None = Field(
        default=None,
        description="Parts that differ in a locale, locale -> part -> text ({ja: {subject: ...}}).",
    )

    @field_validator("parts")
    @classmethod
    def _parts(cls, value: dict[str, str]) -> dict[str, str]:
        return _known_parts(value)

    @field_validator("locales")
    @classmethod
    def _locale_parts(cls, value: dict[str, dict[str, str]] | None) -> Any:
        return check_locale_parts(value)


class TemplateCreate(TemplateBody):
    name: str = Field(min_length=1, max_length=500)


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    engine: str
    parts: dict[str, str]
    messages: dict[str, dict[str, Any]] | None = None
    locales: dict[str, dict[str, str]] | None = None
    assets: list[str] = Field(
        default_factory=list,
        description="the file names of its assets (images the typst part places)",
    )
    created_at: datetime

    @field_validator("assets", mode="before")
    @classmethod
    def _asset_names(cls, value: Any) -> Any:
        return sorted(value) if isinstance(value, dict) else value or []


class TemplateSummary(BaseModel):
    """A template in a list: the names of its parts, not their text (read the template)."""

    id: str
    name: str
    engine: str
    part_names: list[str]
    message_locales: list[str] = Field(description="the locales of its message catalogs")
    created_at: datetime


class VariableRead(BaseModel):
    name: str
    required: bool = Field(description="used somewhere without a fallback")
    part: str = Field(description="the part of its first use")
    line: int


class TemplateWarning(BaseModel):
    code: str
    message: str


class TemplateValidation(BaseModel):
    valid: bool
    message_locales: list[str] = Field(default_factory=list)
    message_keys: list[str] = Field(
        default_factory=list, description="every key of the catalogs (all hold the same keys)"
    )
    variables: list[VariableRead]
    warnings: list[TemplateWarning]
