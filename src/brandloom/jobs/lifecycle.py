"""Job state changes that every runner shares: start a run, pause, cancel, follow, finalize.

In-process jobs run inside ``flows.execute_job``. Distributed jobs are *submitted*: the job is
marked running and its unfinished chunks are enqueued once that is committed; workers render the
chunks and the worker that finds the last chunk done finalizes the job. Anyone may *follow* a job
(the CLI does) by reading its row until it stops.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import unit_of_work
from brandloom.errors import BrandloomError, ConflictError
from brandloom.jobs import service as job_service
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository

STOPPED_STATES = ("done", "failed", "paused", "cancelled")


class Dispatcher(Protocol):
    """Delivers work to workers (``workers.dispatch.CeleryDispatcher`` in production)."""

    def enqueue_chunks(self, job_id: str, indexes: list[int]) -> int: ...

    def enqueue_finalize(self, job_id: str) -> None: ...


def _close_run(job: Job) -> None:
    """Add the current distributed run's wall time to the job's elapsed seconds."""
    if job.resumed_at is not None:
        job.elapsed_s += max(0.0, (utcnow() - job.resumed_at).total_seconds())
        job.resumed_at = None


def pause_job(session: Session, job: Job, *, error: str | None = None) -> Job:
    if job.state not in ("queued", "running"):
        raise ConflictError(
            f"job {job.id} is {job.state} and cannot be paused", code="job.not_pausable"
        )
    job.state = "paused"
    if error:
        job.error = error
    _close_run(job)
    return job


def cancel_job(session: Session, job: Job) -> Job:
    if job.state not in ("queued", "running", "paused"):
        raise ConflictError(
            f"job {job.id} is {job.state} and cannot be cancelled", code="job.not_cancellable"
        )
    job.state = "cancelled"
    job.finished_at = utcnow()
    _close_run(job)
    return job


def submit_job(factory: sessionmaker[Session], job_id: str, dispatcher: Dispatcher) -> int:
    """Mark the job running and enqueue its unfinished chunks; returns how many were sent."""
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise BrandloomError(f"job '{job_id}' not found", code="job.not_found", status=404)
        if job.state in ("done", "cancelled"):
            return 0
        repo = JobRepository(session, job.workspace_id)
        repo.reopen_failed_chunks(job.id)
        job.state = "running"
        job.error = None
        job.started_at = job.started_at or utcnow()
        job.resumed_at = utcnow()
        job.finalize_lease_until = None
        pending = repo.pending_chunks(job.id)
    # After the commit: a worker that receives a task always finds the job running.
    if not pending:
        dispatcher.enqueue_finalize(job_id)
        return 0
    return dispatcher.enqueue_chunks(job_id, pending)


@dataclass(slots=True)
class JobStatus:
    job_id: str
    state: str
    contacts_total: int
    contacts_done: int
    chunks_total: int
    chunks_done: int
    documents_done: int
    error: str | None
    report: dict[str, Any] | None

    @classmethod
    def of(cls, job: Job, *, documents_done: int) -> JobStatus:
        """The status of ``job``; its progress counters move in each chunk's commit."""
        return cls(
            job_id=job.id,
            state=job.state,
            contacts_total=job.contacts_total,
            contacts_done=job.contacts_done,
            chunks_total=job.chunks_total,
            chunks_done=job.chunks_done,
            documents_done=documents_done,
            error=job.error,
            report=job.report,
        )


def job_status(factory: sessionmaker[Session], job_id: str) -> JobStatus:
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise BrandloomError(f"job '{job_id}' not found", code="job.not_found", status=404)
        documents = JobRepository(session, job.workspace_id).documents_done(job.id)
        return JobStatus.of(job, documents_done=documents)


def follow_job(
    factory: sessionmaker[Session],
    job_id: str,
    *,
    on_progress: Callable[[JobStatus], None] | None = None,
    poll_seconds: float = 0.5,
    housekeeping: Callable[[], object] | None = None,
    housekeeping_every: float = 10.0,
) -> JobStatus:
    """Wait until the job stops (done, failed, paused or cancelled); returns its last status.

    ``housekeeping`` (lease recovery) runs every ``housekeeping_every`` seconds while waiting.
    """
    last_chunks = -1
    last_housekeeping = time.monotonic()
    while True:
        status = job_status(factory, job_id)
        if on_progress is not None and status.chunks_done != last_chunks:
            last_chunks = status.chunks_done
            on_progress(status)
        if status.state in STOPPED_STATES:
            return status
        if housekeeping is not None and time.monotonic() - last_housekeeping >= housekeeping_every:
            last_housekeeping = time.monotonic()
            housekeeping()
        time.sleep(poll_seconds)


def finalize_distributed(session: Session, job_id: str) -> dict[str, Any] | None:
    """Finalize a distributed job (the caller holds its finalize lease)."""
    job = session.get(Job, job_id)
    if job is None or job.state != "running":
        return None
    _close_run(job)
    report = job_service.finalize_job(session, job)
    job.finalize_lease_until = None
    return report


def fail_job(session: Session, job_id: str, error: str) -> None:
    job = session.get(Job, job_id)
    if job is not None and job.state == "running":
        job.state = "failed"
        job.error = error
        _close_run(job)
