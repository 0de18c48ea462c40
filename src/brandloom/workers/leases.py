"""Recovery of work held by workers that died: expired chunk leases and stuck finalizations.

Every worker runs ``reap`` periodically (and so does a CLI following its job). Taking an expired
lease back is a conditional UPDATE, so several reapers never requeue the same chunk twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import enqueue, unit_of_work
from brandloom.jobs.lifecycle import FINALIZE_JOB, PROCESS_CHUNK, Dispatcher
from brandloom.jobs.models import Job, JobChunk
from brandloom.jobs.states import ChunkState, JobState


def reap(
    factory: sessionmaker[Session], dispatcher: Dispatcher, *, lease_seconds: float
) -> tuple[int, int]:
    """Requeue chunks whose lease expired and jobs left unfinalized; returns (chunks, jobs).

    The tasks are sent once the chunks taken back are committed pending.
    """
    now = utcnow()
    chunks = 0
    with unit_of_work(factory, sender=dispatcher) as session:
        expired = session.execute(
            select(JobChunk.job_id, JobChunk.index)
            .join(Job, Job.id == JobChunk.job_id)
            .where(
                Job.state == JobState.RUNNING,
                JobChunk.state == ChunkState.RUNNING,
                JobChunk.lease_expires_at < now,
            )
            .limit(1000)
        ).all()
        for job_id, index in expired:
            taken = session.execute(
                update(JobChunk)
                .where(
                    JobChunk.job_id == job_id,
                    JobChunk.index == index,
                    JobChunk.state == ChunkState.RUNNING,
                    JobChunk.lease_expires_at < now,
                )
                .values(state=ChunkState.PENDING, lease_owner=None, lease_expires_at=None),
                execution_options={"synchronize_session": False},
            )
            if getattr(taken, "rowcount", 0) == 1:
                enqueue(session, PROCESS_CHUNK, job_id=job_id, index=index)
                chunks += 1
        stuck = _unfinalized(session, now - timedelta(seconds=lease_seconds))
        for job_id in stuck:
            enqueue(session, FINALIZE_JOB, job_id=job_id)
    return chunks, len(stuck)


def _unfinalized(session: Session, before: datetime) -> list[str]:
    """Running jobs with every chunk done a while ago, and no live finalize lease."""
    open_chunks = (
        select(JobChunk.id)
        .where(JobChunk.job_id == Job.id, JobChunk.state != ChunkState.DONE)
        .exists()
    )
    last_finished = (
        select(func.max(JobChunk.finished_at)).where(JobChunk.job_id == Job.id).scalar_subquery()
    )
    stmt = select(Job.id).where(
        Job.state == JobState.RUNNING,
        ~open_chunks,
        or_(Job.finalize_lease_until.is_(None), Job.finalize_lease_until < utcnow()),
        or_(last_finished.is_(None), last_finished < before),
    )
    return list(session.scalars(stmt.limit(100)))


def claim_finalize(session: Session, job_id: str, *, lease_seconds: float) -> bool:
    """Take the right to finalize a running job whose chunks are all done."""
    now = utcnow()
    open_chunks = (
        select(JobChunk.id)
        .where(JobChunk.job_id == job_id, JobChunk.state != ChunkState.DONE)
        .exists()
    )
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.state == JobState.RUNNING,
            ~open_chunks,
            or_(Job.finalize_lease_until.is_(None), Job.finalize_lease_until < now),
        )
        .values(finalize_lease_until=now + timedelta(seconds=lease_seconds)),
        execution_options={"synchronize_session": False},
    )
    return getattr(result, "rowcount", 0) == 1


def renew_finalize(session: Session, job_id: str, *, lease_seconds: float) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(finalize_lease_until=utcnow() + timedelta(seconds=lease_seconds)),
        execution_options={"synchronize_session": False},
    )
