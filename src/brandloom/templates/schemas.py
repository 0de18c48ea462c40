"""API shapes for templates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.templates.parts import TEXT_PARTS


def _known_parts(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(TEXT_PARTS))
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}; parts are {list(TEXT_PARTS)}")
    if not value:
        raise ValueError("at least one part is required")
    return value


class TemplateBody(BaseModel):
    """A template's engine and text parts (``subject``, ``html``, ...)."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["jinja", "liquid"] = "jinja"
    parts: dict[str, str]

    @field_validator("parts")
    @classmethod
    def _parts(cls, value: dict[str, str]) -> dict[str, str]:
        return _known_parts(value)


class TemplateCreate(TemplateBody):
    name: str = Field(min_length=1, max_length=500)


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    engine: str
    parts: dict[str, str]
    created_at: datetime


class TemplateSummary(BaseModel):
    """A template in a list: the names of its parts, not their text (read the template)."""

    id: str
    name: str
    engine: str
    part_names: list[str]
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
    variables: list[VariableRead]
    warnings: list[TemplateWarning]
