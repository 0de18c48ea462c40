"""Enqueue job work on the broker. Producers call this only after their transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from celery import Celery

from brandloom.settings import Settings
from brandloom.workers.celery_app import FINALIZE_JOB, PROCESS_CHUNK, create_celery


class CeleryDispatcher:
    """Sends ``process_chunk`` and ``finalize_job`` tasks by name (producers import no tasks)."""

    def __init__(self, settings: Settings, *, app: Celery | None = None) -> None:
        self.app = app or create_celery(settings)
        self.queue = settings.broker_queue

    def enqueue_chunks(self, job_id: str, indexes: Iterable[int]) -> int:
        sent = 0
        with self.app.producer_or_acquire() as producer:
            for index in indexes:
                self.app.send_task(
                    PROCESS_CHUNK, args=(job_id, index), queue=self.queue, producer=producer
                )
                sent += 1
        return sent

    def enqueue_finalize(self, job_id: str) -> None:
        self.app.send_task(FINALIZE_JOB, args=(job_id,), queue=self.queue)

    def close(self) -> None:
        self.app.close()
