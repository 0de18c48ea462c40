"""API schemas for copy from a brief and the workspace's LLM providers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from brandloom.workspaces.models import Workspace


class WriteRequest(BaseModel):
    """``POST /v1/write``: the brief (the same keys as a brief file) and how to write it."""

    model_config = ConfigDict(extra="forbid")

    brief: dict[str, Any] = Field(description="the brief: product, offer, channels, locales, ...")
    provider: Literal["offline", "openai", "anthropic"] | None = None
    model: str | None = Field(default=None, max_length=200)
    n: int | None = Field(default=None, ge=1, le=10)
    budget_usd: float | None = Field(default=None, ge=0)
    seed: int = 0


class ProviderRead(BaseModel):
    """A provider's settings. The key itself is never returned: ``has_key`` says whether one
    is stored."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    model: str | None
    base_url: str | None
    has_key: bool
    prices: dict[str, float] | None
    timeout_s: float
    position: int
    updated_at: datetime


class ProviderUpdate(BaseModel):
    """``PUT /v1/providers/{name}``: only the fields given change; ``api_key`` is stored
    encrypted and never returned."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, max_length=200)
    base_url: str | None = Field(default=None, max_length=2_000)
    api_key: str | None = Field(default=None, max_length=500, repr=False)
    clear_key: bool = False
    prices: dict[str, float] | None = None
    timeout_s: float | None = Field(default=None, gt=0, le=600)
    position: int | None = Field(default=None, ge=0, le=100)


class LLMSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_provider: Literal["offline", "openai", "anthropic"] | None = None
    monthly_budget_usd: float | None = Field(default=None, ge=0)
    monthly_budget_tokens: int | None = Field(default=None, ge=0)
    clear_budget: bool = False


def provider_read(row: Any) -> ProviderRead:
    return ProviderRead(
        name=row.name,
        model=row.model,
        base_url=row.base_url,
        has_key=bool(row.api_key_encrypted),
        prices=row.prices,
        timeout_s=row.timeout_s,
        position=row.position,
        updated_at=row.updated_at,
    )


def providers_overview(session: Session, workspace: Workspace, *, service: Any) -> dict[str, Any]:
    """The providers (no keys), the default writer, the budget and this month's usage."""
    settings_row = service.llm_settings(session, workspace)
    return {
        "providers": [
            provider_read(row).model_dump(mode="json")
            for row in service.list_providers(session, workspace)
        ],
        "default_provider": settings_row.default_provider,
        "monthly_budget_usd": settings_row.monthly_budget_usd,
        "monthly_budget_tokens": settings_row.monthly_budget_tokens,
        "usage_this_month": service.usage_since(session, workspace).to_data(),
    }
