"""API shapes for templates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.templates.parts import TEXT_PARTS


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500)
    engine: Literal["jinja", "liquid"] = "jinja"
    parts: dict[str, str]

    @field_validator("parts")
    @classmethod
    def _known_parts(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(TEXT_PARTS))
        if unknown:
            raise ValueError(f"unknown part(s) {unknown}; parts are {list(TEXT_PARTS)}")
        if not value:
            raise ValueError("at least one part is required")
        return value


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    engine: str
    parts: dict[str, str]
    created_at: datetime
