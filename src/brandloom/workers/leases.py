"""Recovery of work held by workers that died: expired chunk leases and stuck finalizations.

Every worker runs ``reap`` periodically (and so does a CLI following its job). Taking an expired
lease back is a conditional UPDATE, so several reapers never requeue the same chunk twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import enqueue, unit_of_work
from brandloom.jobs.lifecycle import FINALIZE_JOB, PROCESS_CHUNK, Dispatcher
from brandloom.jobs.repository import (
    claim_finalize_lease,
    expired_chunk_leases,
    renew_finalize_lease,
    take_back_expired_chunk,
    unfinalized_jobs,
)


def reap(
    factory: sessionmaker[Session], dispatcher: Dispatcher, *, lease_seconds: float
) -> tuple[int, int]:
    """Requeue chunks whose lease expired and jobs left unfinalized; returns (chunks, jobs).

    The tasks are sent once the chunks taken back are committed pending.
    """
    now = utcnow()
    chunks = 0
    with unit_of_work(factory, sender=dispatcher) as session:
        for job_id, index in expired_chunk_leases(session, now, limit=1000):
            if take_back_expired_chunk(session, job_id, index, now):
                enqueue(session, PROCESS_CHUNK, job_id=job_id, index=index)
                chunks += 1
        stuck = _unfinalized(session, now - timedelta(seconds=lease_seconds))
        for job_id in stuck:
            enqueue(session, FINALIZE_JOB, job_id=job_id)
    return chunks, len(stuck)


def _unfinalized(session: Session, before: datetime) -> list[str]:
    """Running jobs with every chunk done a while ago, and no live finalize lease."""
    return unfinalized_jobs(session, finished_before=before, now=utcnow(), limit=100)


def claim_finalize(session: Session, job_id: str, *, lease_seconds: float) -> bool:
    """Take the right to finalize a running job whose chunks are all done."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    return claim_finalize_lease(session, job_id, now=now, until=until)


def renew_finalize(session: Session, job_id: str, *, lease_seconds: float) -> None:
    renew_finalize_lease(session, job_id, until=utcnow() + timedelta(seconds=lease_seconds))
