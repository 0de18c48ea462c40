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
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import unit_of_work
from brandloom.jobs.lifecycle import execute_job, job_status, submit_job, waiting_jobs
from brandloom.jobs.models import Job
from brandloom.jobs.runner import InProcessRunner
from brandloom.jobs.states import STOPPED_STATES, JobState
from brandloom.web.state import Executor

if TYPE_CHECKING:
    from brandloom.workers.dispatch import CeleryDispatcher

__all__ = ["DistributedExecutor", "Executor", "JobExecutor"]

log = logging.getLogger(__name__)


class JobExecutor:
    distributed = False

    def __init__(self, factory: sessionmaker[Session], database_url: str, *, workers: int) -> None:
        self.factory = factory
        self.database_url = database_url
        self.workers = workers
        # One lane per job kind: an audience import does not wait behind a long render, and
        # two renders never compete for the same worker processes.
        self._lanes: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self._futures: dict[str, Future[None]] = {}
        self._stopping = threading.Event()

    def _lane(self, kind: str) -> ThreadPoolExecutor:
        lane = self._lanes.get(kind)
        if lane is None:
            lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"brandloom-{kind}")
            self._lanes[kind] = lane
        return lane

    def submit(self, job_id: str) -> None:
        with unit_of_work(self.factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            kind = job.kind
        with self._lock:
            if self._stopping.is_set():
                return
            current = self._futures.get(job_id)
            if current is not None and not current.done():
                return
            self._futures[job_id] = self._lane(kind).submit(self._run, job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Wait for the job's run here; a job that waited for another is followed into its
        second run (submitted when that one finished)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (future := self._futures.get(job_id)) is not None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            future.result(timeout=left)
            if self._futures.get(job_id) is not future:
                continue  # submitted again meanwhile
            with unit_of_work(self.factory) as session:
                job = session.get(Job, job_id)
                waiting = job is not None and job.state == JobState.QUEUED
            if not waiting:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still waiting")
            time.sleep(0.05)

    def _should_stop(self, job_id: str) -> bool:
        if self._stopping.is_set():
            return True
        with unit_of_work(self.factory) as session:
            job = session.get(Job, job_id)
            return job is None or job.state in (JobState.CANCELLED, JobState.PAUSED)

    def _run(self, job_id: str) -> None:
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
        # Jobs that waited for this one start (or fail with it) now that it has finished.
        for waiter in waiting_jobs(self.factory, job_id):
            self.submit(waiter)

    def shutdown(self) -> None:
        """Stop taking work; a running job pauses after its current chunk (resumable)."""
        self._stopping.set()
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.shutdown(wait=True, cancel_futures=True)


class DistributedExecutor:
    """Enqueues jobs for `brandloom worker` processes; the API process renders nothing."""

    distributed = True

    def __init__(self, factory: sessionmaker[Session], dispatcher: CeleryDispatcher) -> None:
        self.factory = factory
        self.dispatcher = dispatcher

    def submit(self, job_id: str) -> None:
        submit_job(self.factory, job_id, self.dispatcher)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Poll until the job stops (or ``timeout`` seconds pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while job_status(self.factory, job_id).state not in STOPPED_STATES:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still running")
            time.sleep(0.2)

    def shutdown(self) -> None:
        self.dispatcher.close()
