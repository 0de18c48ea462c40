"""The Celery dispatcher as a unit of work's sender, on Celery's in-memory broker."""

from __future__ import annotations

import importlib
import inspect
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager
from queue import Empty
from types import ModuleType
from typing import Any

import pytest
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import enqueue, unit_of_work
from brandloom.jobs.lifecycle import FINALIZE_JOB, PROCESS_CHUNK
from brandloom.settings import Settings, get_settings
from brandloom.workers.dispatch import CeleryDispatcher


@pytest.fixture
def worker_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``brandloom.workers.tasks`` as a worker imports it (the module reads a broker URL)."""
    monkeypatch.setenv("BRANDLOOM_BROKER_URL", "memory://")
    get_settings.cache_clear()
    try:
        yield importlib.import_module("brandloom.workers.tasks")
    finally:
        get_settings.cache_clear()


def _received(app: Celery, queue: str) -> list[tuple[str, list[Any], dict[str, Any]]]:
    messages = []
    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue)
        try:
            while True:
                message = simple.get(timeout=0.2)
                args, kwargs, _ = message.payload
                messages.append((message.headers["task"], args, kwargs))
                message.ack()
        except Empty:
            pass
        finally:
            simple.close()
    return messages


def test_a_commit_s_tasks_go_out_over_one_producer_with_ids_the_tasks_accept(
    factory: sessionmaker[Session], worker_tasks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = f"brandloom-test-{secrets.token_hex(4)}"
    app = Celery("test", broker="memory://", set_as_current=False)
    dispatcher = CeleryDispatcher(Settings(broker_queue=queue), app=app)
    producers = 0
    acquire = app.producer_or_acquire

    def counting(producer: Any = None) -> AbstractContextManager[Any]:
        nonlocal producers
        producers += producer is None  # send_task passes the one it was given back in here
        return acquire(producer)

    monkeypatch.setattr(app, "producer_or_acquire", counting)

    with pytest.raises(RuntimeError), unit_of_work(factory, sender=dispatcher) as session:
        enqueue(session, FINALIZE_JOB, job_id="rolled_back")
        raise RuntimeError("roll back")
    assert (producers, _received(app, queue)) == (0, [])

    with unit_of_work(factory, sender=dispatcher) as session:
        enqueue(session, PROCESS_CHUNK, job_id="job_1", index=0)
        enqueue(session, PROCESS_CHUNK, job_id="job_2", index=3)
        enqueue(session, FINALIZE_JOB, job_id="job_3")
    assert producers == 1
    received = _received(app, queue)
    assert received == [
        (PROCESS_CHUNK, [], {"job_id": "job_1", "index": 0}),
        (PROCESS_CHUNK, [], {"job_id": "job_2", "index": 3}),
        (FINALIZE_JOB, [], {"job_id": "job_3"}),
    ]
    # The worker's task functions take the ids by name.
    for name, args, kwargs in received:
        inspect.signature(worker_tasks.app.tasks[name].run).bind(*args, **kwargs)
