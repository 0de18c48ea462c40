"""Jobs and their chunks: the unit of checkpointing and of parallel work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow
from brandloom.jobs.states import JOB_STATES, ChunkState, JobState

__all__ = ["JOB_STATES", "Job", "JobChunk"]


class Job(Base):
    """One unit of chunked, leased, checkpointed work of some ``kind`` (see ``jobs.kinds``).

    ``params`` holds what the kind needs (JSON, fixed at creation); the columns hold what the
    engine itself needs for every kind: state, progress counters, leases and timing. A job
    with ``after_job_id`` starts only once that job is done (a render waits for its audience's
    import) and fails with its error if that job fails.
    """

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_workspace_out_dir", "workspace_id", "out_dir"),
        Index("ix_job_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    params: Mapped[dict[str, Any]] = mapped_column(JSONText())
    # Digest of every input the job depends on: a resume must be given the same inputs.
    params_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_job_id: Mapped[str | None] = mapped_column(
        ForeignKey("job.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # References most kinds have; null where a kind has none (an import has no template).
    audience_id: Mapped[str | None] = mapped_column(ForeignKey("audience.id"), nullable=True)
    template_id: Mapped[str | None] = mapped_column(ForeignKey("template.id"), nullable=True)
    out_dir: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    chunks_total: Mapped[int] = mapped_column(Integer, default=0)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    # Units of work (contacts of a render, rows of an import) in every chunk, and those done.
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    # Items that failed (documents failing QA) so far; drives the error threshold.
    items_failed: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds spent running, summed over every run of the job (a resumed job adds to it).
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
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
    """One checkpointed piece of a job, committed atomically with its results.

    ``after_key``/``last_key`` are the kind's keyset bounds (contact keys for a render:
    ``after_key < key <= last_key``), ``items`` how many units it holds. States are
    :class:`~brandloom.jobs.states.ChunkState`: ``pending`` -> ``running`` (claimed by a worker,
    under a lease it renews) -> ``done``, or ``failed`` after too many attempts. A running chunk
    whose lease expired is claimable again.
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
    last_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    items: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=ChunkState.PENDING.value)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
