"""The Celery application: configuration shared by producers (API, CLI) and workers."""

from __future__ import annotations

from celery import Celery

from brandloom.settings import Settings


def create_celery(settings: Settings) -> Celery:
    """A Celery app for the configured broker; tasks are addressed by name, not imported."""
    if not settings.broker_url:
        raise ValueError("BRANDLOOM_BROKER_URL is not set")
    app = Celery("brandloom", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        # A task is acknowledged after it ran: a worker that dies mid-chunk leaves its message
        # to be redelivered, and chunk leases make the second delivery safe.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=settings.broker_queue,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        # Redis only: an unacknowledged message returns to the queue after this many seconds.
        # Chunks never use countdowns or ETAs, and a redelivered chunk that is still leased by a
        # live worker is skipped, so a timeout shorter than a long task costs no duplicates.
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
    )
    return app
