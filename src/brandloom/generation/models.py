"""A workspace's LLM providers (keys encrypted), its writing settings, and what calls cost.

``LLMProvider`` keeps one row per provider name: model, base URL, the API key encrypted with the
instance's secret key (``generation.secrets``), prices when the vendor's are not known, and the
position in the fallback chain. ``LLMSettings`` holds the workspace's default provider and its
monthly budget. ``LLMUsage`` records every call's tokens and cost, per workspace and job: budgets
are checked against it before a call is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow


class LLMProvider(Base):
    __tablename__ = "llm_provider"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))  # openai | anthropic
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    base_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # Fernet token of the API key (never returned, never logged); None: the environment's key.
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"input_per_mtok": USD, "output_per_mtok": USD} for models without a published price.
    prices: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    timeout_s: Mapped[float] = mapped_column(Float, default=60.0)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the fallback chain
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LLMSettings(Base):
    __tablename__ = "llm_settings"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    default_provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    monthly_budget_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    monthly_budget_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LLMUsage(Base):
    __tablename__ = "llm_usage"
    __table_args__ = (
        Index("ix_llm_usage_workspace_created", "workspace_id", "created_at"),
        Index("ix_llm_usage_workspace_job", "workspace_id", "job_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    purpose: Mapped[str] = mapped_column(String(40))  # write | localize | template
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
