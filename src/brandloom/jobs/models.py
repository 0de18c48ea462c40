"""Jobs and their chunks: the unit of checkpointing and of parallel work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow

JOB_STATES = ("queued", "running", "paused", "done", "failed", "cancelled")


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_workspace_out_dir", "workspace_id", "out_dir"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    spec: Mapped[dict[str, Any]] = mapped_column(JSONText())
    spec_sha256: Mapped[str] = mapped_column(String(64))
    audience_id: Mapped[str] = mapped_column(ForeignKey("audience.id"))
    template_id: Mapped[str] = mapped_column(ForeignKey("template.id"))
    out_dir: Mapped[str] = mapped_column(String(2000))
    seed: Mapped[str] = mapped_column(String(100))
    chunk_size: Mapped[int] = mapped_column(Integer)
    chunks_total: Mapped[int] = mapped_column(Integer, default=0)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    contacts_total: Mapped[int] = mapped_column(Integer, default=0)
    contacts_done: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds spent running, summed over every run of the job (a resumed job adds to it).
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    # Contacts whose documents failed QA so far; drives the error threshold that pauses a job.
    documents_failed: Mapped[int] = mapped_column(Integer, default=0)
    # When the current run started (distributed jobs add ``now - resumed_at`` to ``elapsed_s``).
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A worker finalizing the job holds this lease; an expired one lets another worker take over.
    finalize_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobChunk(Base):
    """Contacts with ``after_key < key <= last_key``; committed atomically with its documents.

    States: ``pending`` -> ``running`` (claimed by a worker, under a lease it renews) -> ``done``,
    or ``failed`` after too many attempts. A running chunk whose lease expired is claimable again.
    """

    __tablename__ = "job_chunk"
    __table_args__ = (
        UniqueConstraint("job_id", "index"),
        Index("ix_job_chunk_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    after_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_key: Mapped[str] = mapped_column(Text)
    contacts: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
