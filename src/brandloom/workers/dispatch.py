"""Send job tasks to the broker: the sender of the units of work that enqueue them.

Producers never call this directly: they ``enqueue`` tasks in their unit of work
(``db.engine.enqueue``), which hands them here once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from brandloom.db.engine import QueuedTask
from brandloom.settings import Settings
from brandloom.workers.celery_app import create_celery


class CeleryDispatcher:
    """Sends tasks by name with their ids as keyword arguments (producers import no tasks)."""

    def __init__(self, settings: Settings, *, app: Celery | None = None) -> None:
        self.app = app or create_celery(settings)
        self.queue = settings.broker_queue

    def send(self, tasks: Sequence[QueuedTask]) -> None:
        """Send one commit's tasks, in order, over one producer (one broker connection)."""
        if not tasks:
            return
        with self.app.producer_or_acquire() as producer:
            for task in tasks:
                self.app.send_task(
                    task.name, kwargs=dict(task.kwargs), queue=self.queue, producer=producer
                )

    def close(self) -> None:
        self.app.close()
