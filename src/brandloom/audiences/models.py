"""Audiences (one imported file), their contacts and the rows that were rejected."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow


class AudienceState(StrEnum):
    IMPORTING = "importing"
    READY = "ready"
    FAILED = "failed"


class Audience(Base):
    __tablename__ = "audience"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source_sha256", "options_sha256"),
        Index("ix_audience_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str] = mapped_column(String(64))
    options_sha256: Mapped[str] = mapped_column(String(64))
    # importing -> ready | failed. What the file holds (format, headers, ...) and the summary
    # counts are known once the import (an ``audiences.import`` job, ``job_id``) has read it.
    state: Mapped[str] = mapped_column(String(16), default=AudienceState.READY.value)
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The source file's modification time (an upload's receipt time), a record of the source.
    source_mtime: Mapped[datetime] = mapped_column(UTCDateTime())
    format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    encoding: Mapped[str | None] = mapped_column(String(40), nullable=True)
    delimiter: Mapped[str | None] = mapped_column(String(4), nullable=True)
    headers: Mapped[list[str] | None] = mapped_column(JSONText(), nullable=True)
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSONText(), nullable=True)
    variables: Mapped[list[str] | None] = mapped_column(JSONText(), nullable=True)
    # Declared column types (variable -> type): how stored attributes read back when rendering.
    types: Mapped[dict[str, str] | None] = mapped_column(JSONText(), nullable=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejected_by_code: Mapped[dict[str, int]] = mapped_column(JSONText(), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("audience_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    audience_id: Mapped[str] = mapped_column(ForeignKey("audience.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    row: Mapped[int] = mapped_column(Integer)
    email: Mapped[str | None] = mapped_column(Text, nullable=True)
    locale: Mapped[str | None] = mapped_column(String(40), nullable=True)
    consent: Mapped[str] = mapped_column(String(10), default="unknown")
    consent_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    consent_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONText())
    # The row of the first contact with the same address (its own row for the first one;
    # None without an address), decided at import: chunks render apart and in parallel.
    email_row: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AudienceReject(Base):
    __tablename__ = "audience_reject"
    __table_args__ = (Index("ix_audience_reject_audience_row", "audience_id", "row"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    audience_id: Mapped[str] = mapped_column(ForeignKey("audience.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[list[str]] = mapped_column(JSONText())
