"""Stored templates: named text parts plus the engine that renders them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow


class Template(Base):
    __tablename__ = "template"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    engine: Mapped[str] = mapped_column(String(16), default="jinja")
    parts: Mapped[dict[str, str]] = mapped_column(JSONText())
    # A .docx template is binary; it is kept as a stored file, referenced here by path.
    docx_path: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
