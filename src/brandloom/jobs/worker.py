"""What a worker process runs: one chunk of a job of any kind, idempotently. Used by every runner.

A chunk is claimed under a lease before it is rendered. While it renders, a keeper thread renews
the lease; if the process dies, the lease runs out and another worker may claim the chunk again.
Rendering twice is harmless: outputs are written to the same bytes and only the first commit of
a chunk counts (``commit_chunk`` is conditional on the chunk not being done yet).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs.kinds import REGISTRY, WorkerContext, run_setup
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.service import JobRuntime, commit_chunk, open_runtime
from brandloom.settings import Settings

DEFAULT_LEASE_SECONDS = 60.0

_factory: sessionmaker[Session] | None = None
_settings: Settings | None = None
_runtimes: dict[str, JobRuntime] = {}
_lease_seconds = DEFAULT_LEASE_SECONDS
_owner = ""


def init_worker(
    database_url: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    setup: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Process initializer: one engine per process, never one inherited from a parent.

    ``setup`` (``"module:function"``) registers the job kinds: a spawned process starts with
    nothing registered. Default: what registered this process's kinds.
    """
    global _factory, _lease_seconds, _owner, _settings
    run_setup(setup if setup is not None else REGISTRY.setup)
    _factory = make_session_factory(make_engine(database_url, pool_size=1, max_overflow=1))
    _settings = settings
    _runtimes.clear()
    _lease_seconds = max(1.0, float(lease_seconds))
    _owner = f"{socket.gethostname()}:{os.getpid()}"


def init_pool_worker(database_url: str, setup: str | None) -> None:
    """``init_worker`` for a process pool (positional arguments only)."""
    init_worker(database_url, setup=setup)


def session_factory() -> sessionmaker[Session]:
    if _factory is None:
        raise RuntimeError("init_worker() was not called in this process")
    return _factory


def _runtime(factory: sessionmaker[Session], job_id: str) -> JobRuntime:
    runtime = _runtimes.get(job_id)
    if runtime is None:
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                raise LookupError(f"job {job_id} not found")
            runtime = open_runtime(session, job, WorkerContext(factory=factory, settings=_settings))
        _runtimes.clear()  # one job at a time per process keeps memory flat
        _runtimes[job_id] = runtime
    return runtime


@contextmanager
def _lease_keeper(
    factory: sessionmaker[Session], runtime: JobRuntime, index: int
) -> Iterator[None]:
    """Renew the chunk's lease every third of its length until the block exits."""
    stop = threading.Event()
    interval = _lease_seconds / 3

    def renew() -> None:
        while not stop.wait(interval):
            try:
                with unit_of_work(factory) as session:
                    JobRepository(session, runtime.workspace_id).renew_lease(
                        runtime.job_id,
                        index,
                        owner=_owner,
                        until=utcnow() + timedelta(seconds=_lease_seconds),
                    )
            except Exception:  # noqa: S112 - a missed renewal only risks a duplicate render
                continue

    thread = threading.Thread(target=renew, name=f"lease-{index}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def process_chunk(job_id: str, index: int, *, respect_lease: bool = False) -> dict[str, Any] | None:
    """Run and checkpoint one chunk of any kind; returns its stats, or None if nothing was done.

    None means the chunk was done already, is leased to another live worker, or its job is not
    running (paused, cancelled, finished). ``respect_lease`` is set by distributed workers; the
    in-process runner owns its job's chunks outright.
    """
    factory = session_factory()
    runtime = _runtime(factory, job_id)
    with unit_of_work(factory) as session:
        repo = JobRepository(session, runtime.workspace_id)
        claimed = repo.claim_chunk(
            job_id,
            index,
            owner=_owner,
            now=utcnow(),
            lease_seconds=_lease_seconds,
            respect_lease=respect_lease,
        )
        chunk = repo.chunk(job_id, index) if claimed else None
        work = runtime.kind.load_chunk(session, runtime.runtime, chunk) if chunk else None
    if chunk is None:
        return None
    started = time.perf_counter()
    with _lease_keeper(factory, runtime, index):
        run = runtime.kind.run_chunk(runtime.runtime, index, work)
    run.stats["seconds"] = round(time.perf_counter() - started, 4)
    with unit_of_work(factory) as session:
        committed = commit_chunk(session, runtime, index, run)
    return run.stats if committed else None


def open_chunks(session: Session, job_id: str) -> int:
    """Chunks of the job this process has rendered for that are not done yet."""
    runtime = _runtime(session_factory(), job_id)
    return JobRepository(session, runtime.workspace_id).count_open_chunks(job_id)


def release_chunk(session: Session, job_id: str, index: int, error: str) -> int:
    """After a failed attempt: free the chunk for a retry; returns the attempts made so far
    (0 when the job is gone)."""
    job = session.get(Job, job_id)
    if job is None:
        return 0
    return JobRepository(session, job.workspace_id).release_chunk(
        job_id, index, owner=_owner, error=error
    )
