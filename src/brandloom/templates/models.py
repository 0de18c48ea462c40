"""Stored templates: named text parts plus the engine that renders them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow


class Template(Base):
    __tablename__ = "template"
    __table_args__ = (Index("ix_template_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    engine: Mapped[str] = mapped_column(String(16), default="jinja")
    parts: Mapped[dict[str, str]] = mapped_column(JSONText())
    # Message catalogs (locale -> key -> message) and per-locale part overrides (locale -> part
    # -> text); see ``templates.messages``.
    messages: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSONText(), nullable=True)
    locales: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSONText(), nullable=True)
    # A Word template (.docx with Jinja tags) is binary and small; workers anywhere read it here.
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    # Images the typst part may place (file name -> base64, see ``templates.assets``); loaded
    # only when read, like the Word document.
    assets: Mapped[dict[str, str] | None] = mapped_column(JSONText(), nullable=True, deferred=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
