"""Celery tasks and worker wiring; ``brandloom worker`` runs ``celery -A brandloom.workers.tasks``.

- ``process_chunk(job_id, index)``: claim the chunk of a job of any kind under a lease, run
  it, commit. Idempotent:
  a finished chunk, a chunk leased by a live worker, or a stopped job make it a no-op. After the
  last chunk of a job commits, a ``finalize_job`` task is enqueued.
- Tasks are enqueued like everywhere else: with ``db.engine.enqueue`` in a unit of work whose
  sender is this process's ``CeleryDispatcher``, so they go out only once it has committed.
- ``finalize_job(job_id)``: under a job-level lease, write manifest, rejects, assembled outputs
  and report, and mark the job done.
- Every worker's main process beats a heartbeat row and reaps expired leases on a timer, so work
  held by a worker that died (SIGKILL, lost machine) is requeued without any coordinator.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any, ClassVar

import structlog
from celery import bootsteps, signals
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import (
    after_commit,
    enqueue,
    make_engine,
    make_session_factory,
    unit_of_work,
)
from brandloom.errors import BrandloomError
from brandloom.jobs import lifecycle, worker
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.states import JobState
from brandloom.observability.logging import configure_logging
from brandloom.observability.metrics import record_chunk
from brandloom.observability.worker_metrics import child_exited, serve_worker_metrics
from brandloom.settings import get_settings
from brandloom.wiring import setup as setup_kinds
from brandloom.workers.celery_app import create_celery
from brandloom.workers.dispatch import CeleryDispatcher
from brandloom.workers.leases import claim_finalize, reap, renew_finalize
from brandloom.workers.repository import HeartbeatRepository

log = logging.getLogger("brandloom.worker")

# A chunk that raised this many times is marked failed and its job paused.
MAX_ATTEMPTS = 3

settings = get_settings()
setup_kinds()
app = create_celery(settings)
_dispatcher = CeleryDispatcher(settings, app=app)
_main_engine: Engine | None = None


def _record(stats: dict[str, Any] | None, outcome: str) -> None:
    record_chunk(stats or {}, outcome=outcome)


@app.task(
    name=lifecycle.PROCESS_CHUNK, acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def process_chunk(job_id: str, index: int) -> None:
    with structlog.contextvars.bound_contextvars(job_id=job_id, chunk=index):
        _process_chunk(job_id, index)


def _process_chunk(job_id: str, index: int) -> None:
    try:
        stats = worker.process_chunk(job_id, index, respect_lease=True)
    except BrandloomError as exc:
        # The input is at fault (an unreadable audience file, a template that cannot render):
        # another attempt would fail the same way, so the job fails now with the reason.
        _record(None, "failed")
        factory = worker.session_factory()
        with unit_of_work(factory) as session:
            lifecycle.fail_job(session, job_id, exc.message)
            # Jobs that waited for this one fail with it.
            after_commit(session, lambda: lifecycle.submit_waiting(factory, job_id, _dispatcher))
        return
    except Exception as exc:
        _chunk_failed(job_id, index, exc)
        return
    _record(stats, "done" if stats is not None else "skipped")
    if stats is None:
        return
    # Read after this chunk's commit: whoever commits a job's last chunk sees none open (two
    # workers may; the finalize lease lets one of them finalize).
    with unit_of_work(worker.session_factory(), sender=_dispatcher) as session:
        if worker.open_chunks(session, job_id) == 0:
            enqueue(session, lifecycle.FINALIZE_JOB, job_id=job_id)


def _chunk_failed(job_id: str, index: int, exc: Exception) -> None:
    error = lifecycle.failure_message(exc)[:2000]
    log.error("chunk %s of job %s failed: %s", index, job_id, type(exc).__name__, exc_info=exc)
    _record(None, "failed")
    factory = worker.session_factory()
    with unit_of_work(factory, sender=_dispatcher) as session:
        attempts = worker.release_chunk(session, job_id, index, error)
        if 0 < attempts < MAX_ATTEMPTS:  # retried once the chunk is committed pending again
            enqueue(session, lifecycle.PROCESS_CHUNK, job_id=job_id, index=index)
    if attempts < MAX_ATTEMPTS:  # the chunk is retried, or the job is gone (0)
        return
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        JobRepository(session, job.workspace_id).fail_chunk(job_id, index, error=error)
        if job.state == JobState.RUNNING:
            lifecycle.pause_job(
                session,
                job,
                error=f"chunk {index} failed {attempts} times ({error}); fix and resume",
            )


@app.task(
    name=lifecycle.FINALIZE_JOB, acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def finalize_job(job_id: str) -> None:
    with structlog.contextvars.bound_contextvars(job_id=job_id):
        _finalize_job(job_id)


def _finalize_job(job_id: str) -> None:
    factory = worker.session_factory()
    lease = float(settings.chunk_lease_seconds)
    with unit_of_work(factory) as session:
        if not claim_finalize(session, job_id, lease_seconds=lease):
            return
    stop = threading.Event()

    def keep() -> None:
        while not stop.wait(lease / 3):
            try:
                with unit_of_work(factory) as session:
                    renew_finalize(session, job_id, lease_seconds=lease)
            except Exception:  # noqa: S112 - a missed renewal only risks a second finalizer
                continue

    keeper = threading.Thread(target=keep, name="finalize-lease", daemon=True)
    keeper.start()
    try:
        with unit_of_work(factory) as session:
            lifecycle.finalize_distributed(session, job_id)
    except Exception as exc:
        log.error("finalizing job %s failed", job_id, exc_info=exc)
        with unit_of_work(factory) as session:
            lifecycle.fail_job(
                session, job_id, f"finalize failed: {lifecycle.failure_message(exc)}"
            )
    finally:
        stop.set()
        keeper.join()
    # Jobs that waited for this one (a render for its audience's import) start now.
    lifecycle.submit_waiting(factory, job_id, _dispatcher)


# ---------------------------------------------------------------------------------------------
# Process wiring
# ---------------------------------------------------------------------------------------------


@signals.setup_logging.connect
def _setup_logging(loglevel: Any = None, **_: Any) -> None:
    """Our log format for the worker too (connecting here stops Celery configuring its own)."""
    level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else settings.log_level
    configure_logging(fmt=settings.log_format, level=str(level))


@signals.worker_init.connect
def _worker_init(**_: Any) -> None:
    """Main process, before the pool starts: serve the workers' Prometheus metrics."""
    port = int(os.environ.get("BRANDLOOM_WORKER_METRICS_PORT", "0") or 0)
    if port <= 0:
        return
    serve_worker_metrics(port)


@signals.worker_process_init.connect
def _child_init(**_: Any) -> None:
    """Each pool process opens its own database connections (never the parent's)."""
    if _main_engine is not None:
        _main_engine.dispose(close=False)
    worker.init_worker(
        settings.resolved_database_url(),
        lease_seconds=float(settings.chunk_lease_seconds),
        settings=settings,
    )


@signals.worker_process_shutdown.connect
def _child_exit(pid: int | None = None, **_: Any) -> None:
    child_exited(pid or os.getpid())


class Housekeeping(bootsteps.StartStopStep):
    """Main process timer: heartbeat row for this worker, and recovery of expired leases."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None
        self.factory: sessionmaker[Session] | None = None
        self.name = ""
        self.concurrency = 1

    def start(self, parent: Any) -> None:
        global _main_engine
        _main_engine = make_engine(settings.resolved_database_url(), pool_size=1, max_overflow=1)
        self.factory = make_session_factory(_main_engine)
        self.name = str(getattr(parent, "hostname", "") or f"{socket.gethostname()}:{os.getpid()}")
        self.concurrency = int(getattr(parent, "concurrency", 1) or 1)
        self.tick()
        # Often enough that an expired lease is noticed within about one lease length.
        interval = min(10.0, max(1.0, settings.chunk_lease_seconds / 2))
        self.tref = parent.timer.call_repeatedly(interval, self.tick, priority=10)

    def tick(self) -> None:
        factory = self.factory
        if factory is None:
            return
        try:
            with unit_of_work(factory) as session:
                now = utcnow()
                heartbeats = HeartbeatRepository(session)
                heartbeats.beat(
                    self.name,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    concurrency=self.concurrency,
                    now=now,
                )
                # Rows of workers that died without a clean shutdown fade out after an hour.
                heartbeats.forget_older_than(now - timedelta(hours=1))
            chunks, jobs = reap(
                factory, _dispatcher, lease_seconds=float(settings.chunk_lease_seconds)
            )
            if chunks or jobs:
                log.warning("requeued %d expired chunk(s) and %d unfinished job(s)", chunks, jobs)
        except Exception as exc:  # housekeeping must never take the worker down
            log.warning("worker housekeeping failed: %s", type(exc).__name__)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
        if self.factory is not None:
            try:
                with unit_of_work(self.factory) as session:
                    HeartbeatRepository(session).forget(self.name)
            except Exception as exc:
                log.warning("could not remove the heartbeat row: %s", type(exc).__name__)


app.steps["worker"].add(Housekeeping)
