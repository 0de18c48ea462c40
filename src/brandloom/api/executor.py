"""How API jobs run: in the API process (the embedded default) or on Celery workers.

Jobs are submitted after their creating transaction commits. In-process, one job renders at a
time across the configured worker processes, and pause and cancel are read from the database
between chunks. With a broker, submitting enqueues the job's chunks and returns.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import unit_of_work
from brandloom.jobs.models import Job
from brandloom.jobs.runner import InProcessRunner

if TYPE_CHECKING:
    from brandloom.workers.dispatch import CeleryDispatcher

log = logging.getLogger(__name__)


class Executor(Protocol):
    distributed: bool

    def submit(self, job_id: str) -> None: ...

    def wait(self, job_id: str, timeout: float | None = None) -> None: ...

    def shutdown(self) -> None: ...


class JobExecutor:
    distributed = False

    def __init__(self, factory: sessionmaker[Session], database_url: str, *, workers: int) -> None:
        self.factory = factory
        self.database_url = database_url
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brandloom-job")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[None]] = {}
        self._stopping = threading.Event()

    def submit(self, job_id: str) -> None:
        with self._lock:
            current = self._futures.get(job_id)
            if current is not None and not current.done():
                return
            self._futures[job_id] = self._pool.submit(self._run, job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)

    def _should_stop(self, job_id: str) -> bool:
        if self._stopping.is_set():
            return True
        with unit_of_work(self.factory) as session:
            job = session.get(Job, job_id)
            return job is None or job.state in ("cancelled", "paused")

    def _run(self, job_id: str) -> None:
        from brandloom.jobs.flows import execute_job

        if self._should_stop(job_id):
            return
        try:
            execute_job(
                self.factory,
                job_id=job_id,
                runner=InProcessRunner(self.database_url, workers=self.workers),
                should_stop=lambda: self._should_stop(job_id),
            )
        except Exception:
            log.exception("job %s failed", job_id)

    def shutdown(self) -> None:
        """Stop taking work; a running job pauses after its current chunk (resumable)."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class DistributedExecutor:
    """Enqueues jobs for `brandloom worker` processes; the API process renders nothing."""

    distributed = True

    def __init__(self, factory: sessionmaker[Session], dispatcher: CeleryDispatcher) -> None:
        self.factory = factory
        self.dispatcher = dispatcher

    def submit(self, job_id: str) -> None:
        from brandloom.jobs.lifecycle import submit_job

        submit_job(self.factory, job_id, self.dispatcher)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Poll until the job stops (or ``timeout`` seconds pass)."""
        from brandloom.jobs.lifecycle import STOPPED_STATES, job_status

        deadline = None if timeout is None else time.monotonic() + timeout
        while job_status(self.factory, job_id).state not in STOPPED_STATES:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still running")
            time.sleep(0.2)

    def shutdown(self) -> None:
        self.dispatcher.close()
