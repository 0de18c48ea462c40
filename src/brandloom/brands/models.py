"""Brands: a name, a visual kit, versioned guidelines, a content library and voice profiles.

Guidelines are never updated in place: every change is a new ``BrandGuidelines`` row with the
next version, and ``Brand.guidelines_version`` points at the current one, so a score or a
voice can say which rules it was made with and that version stays readable. Voices likewise
accumulate; the newest is the current one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow


class Brand(Base):
    __tablename__ = "brand"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_brand_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # The visual kit without its logo (brands.kit.BrandKit as JSON): colors, font, address,
    # legal footer, sender.
    kit: Mapped[dict[str, Any]] = mapped_column(JSONText(), default=dict)
    # A logo is small (at most brands.kit.MAX_LOGO_BYTES) and read with the kit: kept here,
    # so every API process and worker sees it without shared storage.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    logo_media_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The current guidelines (BrandGuidelines.version); None while the brand has none.
    guidelines_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BrandGuidelines(Base):
    """One version of a brand's guidelines (``analysis.guidelines.Guidelines`` as data)."""

    __tablename__ = "brand_guidelines"
    __table_args__ = (
        UniqueConstraint("brand_id", "version"),
        Index("ix_brand_guidelines_workspace_brand", "workspace_id", "brand_id", "version"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    brand_id: Mapped[str] = mapped_column(ForeignKey("brand.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BrandText(Base):
    """A text of the brand's content library: what its voice is learned from."""

    __tablename__ = "brand_text"
    __table_args__ = (
        # The same text (after normalization) is stored once per brand: imports skip it.
        UniqueConstraint("brand_id", "sha256"),
        Index("ix_brand_text_workspace_brand_created", "workspace_id", "brand_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    brand_id: Mapped[str] = mapped_column(ForeignKey("brand.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BrandVoice(Base):
    """A voice profile fitted on the library; the newest of a brand is its current voice."""

    __tablename__ = "brand_voice"
    __table_args__ = (
        Index("ix_brand_voice_workspace_brand_created", "workspace_id", "brand_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    brand_id: Mapped[str] = mapped_column(ForeignKey("brand.id", ondelete="CASCADE"))
    # The guidelines version current when the voice was trained (None: the brand had none).
    guidelines_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    format: Mapped[str] = mapped_column(String(40))  # analysis.voice.VOICE_FORMAT
    profile: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    n_texts: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
