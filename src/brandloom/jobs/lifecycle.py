"""Running jobs of every kind: start, pause, cancel, resume, follow, execute, finalize.

In-process jobs run inside :func:`execute_job`. Distributed jobs are *submitted*: the job is
marked running and its unfinished chunks are enqueued (``db.engine.enqueue``) in the same unit
of work, so the tasks go out only once that is committed; workers run the chunks and the worker
that finds the last chunk done finalizes the job. Anyone may *follow* a
job (the CLI does) by reading its row until it stops. Every state change goes through the
transition table in ``jobs.states``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import TaskSender, after_commit, enqueue, unit_of_work
from brandloom.errors import BrandloomError, NotFoundError
from brandloom.jobs import service as job_service
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.runner import Runner
from brandloom.jobs.states import STOPPED_STATES, JobState, transition
from brandloom.observability.metrics import record_chunk

log = logging.getLogger(__name__)

__all__ = [
    "FINALIZE_JOB",
    "PROCESS_CHUNK",
    "STOPPED_STATES",
    "Dispatcher",
    "JobStatus",
    "failure_message",
]

# The tasks distributed workers run (``workers.tasks``), addressed by name: producers enqueue
# them with ids only (``process_chunk(job_id=, index=)``, ``finalize_job(job_id=)``).
PROCESS_CHUNK = "brandloom.process_chunk"
FINALIZE_JOB = "brandloom.finalize_job"

# Sends the tasks a unit of work enqueued once it has committed
# (``workers.dispatch.CeleryDispatcher`` in production).
Dispatcher = TaskSender


def failure_message(exc: BaseException) -> str:
    """Why a job failed, as its ``error`` says it to the person reading it.

    A ``BrandloomError`` already speaks to the user. Anything else is described in words,
    never by its Python class name (that and the traceback go to the server log): a file the
    job could not read or write names the problem and the file.
    """
    if isinstance(exc, BrandloomError):
        return exc.message
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"the job could not read or write its files ({exc.strerror.lower()}){where}"
    if isinstance(exc, MemoryError):
        return "the job ran out of memory; use smaller chunks or fewer workers"
    text = str(exc).strip()
    detail = f" ({text})" if text else ""
    return f"an unexpected error stopped the job{detail}; the server log has the details"


def _not_found(job_id: str) -> NotFoundError:
    return NotFoundError(f"job '{job_id}' not found", code="job.not_found")


def _close_run(job: Job) -> None:
    """Add the current distributed run's wall time to the job's elapsed seconds."""
    if job.resumed_at is not None:
        job.elapsed_s += max(0.0, (utcnow() - job.resumed_at).total_seconds())
        job.resumed_at = None


def pause_job(session: Session, job: Job, *, error: str | None = None) -> Job:
    """Pause a running job (a paused one stays paused): chunks in hand finish, no new start."""
    if transition(job, JobState.PAUSED, reason=error or "paused"):
        if error:
            job.error = error
        _close_run(job)
    return job


def cancel_job(session: Session, job: Job) -> Job:
    """Stop a job for good (a cancelled one stays cancelled)."""
    if transition(job, JobState.CANCELLED, reason="cancelled"):
        _close_run(job)
    return job


def resume_job(session: Session, job: Job) -> Job:
    """Take a paused or failed job up again (a running one is left as it is)."""
    job_service.start_job(session, job)
    return job


def submit_job(factory: sessionmaker[Session], job_id: str, dispatcher: Dispatcher) -> int:
    """Start the job and enqueue its unfinished chunks; returns how many were enqueued.

    The tasks are sent once the job is committed running, so a worker that receives one finds
    it running. A job waiting for another stays queued (it is submitted again when that one
    ends).
    """
    with unit_of_work(factory, sender=dispatcher) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise _not_found(job_id)
        if job.state in (JobState.DONE, JobState.CANCELLED):
            return 0
        if not job_service.start_job(session, job):
            if job.state == JobState.FAILED:
                # What it waited for failed: so did it, and so do its own waiters.
                after_commit(session, lambda: submit_waiting(factory, job_id, dispatcher))
            return 0
        job.resumed_at = utcnow()
        job.finalize_lease_until = None
        pending = JobRepository(session, job.workspace_id).pending_chunks(job.id)
        for index in pending:
            enqueue(session, PROCESS_CHUNK, job_id=job_id, index=index)
        if not pending:
            enqueue(session, FINALIZE_JOB, job_id=job_id)
        return len(pending)


def submit_waiting(factory: sessionmaker[Session], job_id: str, dispatcher: Dispatcher) -> None:
    """Submit the jobs that waited for ``job_id`` (call once it has finished)."""
    for waiter in waiting_jobs(factory, job_id):
        submit_job(factory, waiter, dispatcher)


def waiting_jobs(factory: sessionmaker[Session], job_id: str) -> list[str]:
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in (JobState.DONE, JobState.FAILED, JobState.CANCELLED):
            return []
        return job_service.waiting_on(session, job)


@dataclass(slots=True)
class JobStatus:
    """What a follower sees of a job; the progress counters move in each chunk's commit."""

    job_id: str
    kind: str
    state: str
    items_total: int
    items_done: int
    chunks_total: int
    chunks_done: int
    documents_done: int
    error: str | None
    report: dict[str, Any] | None

    @classmethod
    def of(cls, job: Job, *, documents_done: int) -> JobStatus:
        return cls(
            job_id=job.id,
            kind=job.kind,
            state=job.state,
            items_total=job.items_total,
            items_done=job.items_done,
            chunks_total=job.chunks_total,
            chunks_done=job.chunks_done,
            documents_done=documents_done,
            error=job.error,
            report=job.report,
        )


def job_status(
    factory: sessionmaker[Session], job_id: str, *, workspace_id: str | None = None
) -> JobStatus:
    """The job's status; with ``workspace_id``, a job of another workspace is not found."""
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        if job is None or (workspace_id is not None and job.workspace_id != workspace_id):
            raise _not_found(job_id)
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
    if job is None or job.state != JobState.RUNNING:
        return None
    _close_run(job)
    report = job_service.finalize_job(session, job)
    job.finalize_lease_until = None
    return report


def fail_job(session: Session, job_id: str, error: str) -> None:
    """Fail a running job (finalize or a chunk failed for good)."""
    job = session.get(Job, job_id)
    if job is not None and job.state == JobState.RUNNING:
        job_service.fail_job(session, job, error)
        _close_run(job)


# What progress callbacks see: a followed job's status, or the counters of a job running in
# this process (the same fields, moved by each finished chunk).
Progress = JobStatus
ProgressFn = Callable[[Progress], None]


def execute_job(
    factory: sessionmaker[Session],
    *,
    job_id: str,
    runner: Runner,
    on_start: ProgressFn | None = None,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any] | None:
    """Run a job's pending chunks here and finalize it; returns the report, or None if stopped.

    Used by the CLI and the API alike. A failure leaves the job ``failed`` with its error (a
    ``BrandloomError`` from the kind is the user's to fix and is not raised again); an
    interruption (Ctrl-C) leaves it ``paused``. Either way, finished chunks stay committed and
    a resume picks up the rest. A job that must wait for another returns None and stays queued.
    """
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise _not_found(job_id)
        if job.state == JobState.DONE:
            return job.report or {}
        if not job_service.start_job(session, job):
            return None
        repo = JobRepository(session, job.workspace_id)
        pending = repo.pending_chunks(job.id)
        progress = Progress.of(job, documents_done=repo.documents_done(job.id))

    def on_chunk(index: int, stats: dict[str, Any] | None) -> None:
        record_chunk(stats or {}, outcome="done" if stats is not None else "skipped")
        if stats is None:
            return
        progress.chunks_done += 1
        progress.items_done += int(stats.get("items", 0))
        progress.documents_done += sum(stats.get("documents", {}).values())
        if on_progress:
            on_progress(progress)

    def _stop_with(state: JobState, error: str | None = None) -> None:
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            job.elapsed_s += time.perf_counter() - started
            if job.state != JobState.RUNNING:
                return
            if state == JobState.FAILED:
                job_service.fail_job(session, job, error or "failed")
            else:
                transition(job, state, reason="interrupted")

    try:
        if on_start:
            on_start(progress)  # inside: an interruption here pauses the started job too
        finished = runner.run(
            job_id, pending, on_chunk=on_chunk, should_stop=should_stop or (lambda: False)
        )
    except KeyboardInterrupt:
        # Ctrl-C, or the CLI's standard output closed by its reader (``cli.progress``)
        _stop_with(JobState.PAUSED)
        raise
    except BrandloomError as exc:
        _stop_with(JobState.FAILED, exc.message)
        return None
    except Exception as exc:
        _stop_with(JobState.FAILED, failure_message(exc))
        raise
    if not finished:
        _stop_with(JobState.PAUSED)
        return None

    try:
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.elapsed_s += time.perf_counter() - started
            open_chunks = JobRepository(session, job.workspace_id).count_open_chunks(job.id)
            if job.state != JobState.RUNNING or open_chunks:
                # Paused meanwhile (by a user or the error threshold), or chunks were skipped.
                if job.state == JobState.RUNNING:
                    pause_job(session, job)
                return None
            try:
                return job_service.finalize_job(session, job)
            except BrandloomError as exc:
                job_service.fail_job(session, job, f"finalize failed: {exc.message}")
                return None
    except Exception as exc:
        # Rolled back: without this the job would stay ``running`` with no end time.
        _stop_with(JobState.FAILED, f"finalize failed: {failure_message(exc)}")
        raise
