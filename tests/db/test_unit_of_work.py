"""Units of work: work queued with ``after_commit`` and ``enqueue`` happens only after a commit."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import QueuedTask, after_commit, enqueue, unit_of_work, use_sender
from brandloom.workspaces.models import Workspace


class RecordingSender:
    """A task sender that records each ``send`` call and what the database held at that time."""

    def __init__(self, factory: sessionmaker[Session], log: list[object] | None = None) -> None:
        self.factory = factory
        self.calls: list[list[QueuedTask]] = []
        self.visible: list[list[str]] = []
        self.log = log if log is not None else []

    def send(self, tasks: Sequence[QueuedTask]) -> None:
        self.calls.append(list(tasks))
        self.log.append("send")
        with self.factory() as session:  # a worker receiving the task reads the database
            self.visible.append(list(session.scalars(select(Workspace.name))))


def _names(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Workspace.name)))


def test_tasks_are_sent_after_the_commit_in_order_with_one_send(
    factory: sessionmaker[Session],
) -> None:
    log: list[object] = []
    sender = RecordingSender(factory, log)
    with unit_of_work(factory, sender=sender) as session:
        session.add(Workspace(id="ws_1", name="acme"))
        enqueue(session, "brandloom.process_chunk", job_id="job_1", index=0)
        after_commit(session, lambda: log.append("callback"))
        enqueue(session, "brandloom.process_chunk", job_id="job_1", index=1)
        enqueue(session, "brandloom.finalize_job", job_id="job_1")
        session.flush()
        assert sender.calls == []
        assert log == []
    assert sender.calls == [
        [
            QueuedTask("brandloom.process_chunk", {"job_id": "job_1", "index": 0}),
            QueuedTask("brandloom.process_chunk", {"job_id": "job_1", "index": 1}),
            QueuedTask("brandloom.finalize_job", {"job_id": "job_1"}),
        ]
    ]
    assert sender.visible == [["acme"]], "a worker receiving the task finds the committed row"
    # All of one commit's tasks go at the place of the first of them among the callbacks.
    assert log == ["send", "callback"]


def test_a_block_that_raises_sends_nothing_and_runs_nothing(
    factory: sessionmaker[Session],
) -> None:
    sender = RecordingSender(factory)
    ran: list[str] = []
    with pytest.raises(RuntimeError), unit_of_work(factory, sender=sender) as session:
        session.add(Workspace(id="ws_1", name="acme"))
        enqueue(session, "brandloom.finalize_job", job_id="job_1")
        after_commit(session, lambda: ran.append("callback"))
        raise RuntimeError("the request failed")
    assert (sender.calls, ran, _names(factory)) == ([], [], [])


def test_a_commit_that_fails_sends_nothing(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        session.add(Workspace(id="ws_1", name="acme"))
    sender = RecordingSender(factory)
    with pytest.raises(IntegrityError), unit_of_work(factory, sender=sender) as session:
        session.add(Workspace(id="ws_2", name="acme"))  # the unique name fails at the commit
        enqueue(session, "brandloom.finalize_job", job_id="job_1")
    assert sender.calls == []


def test_enqueue_needs_a_sender(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="no task sender"), unit_of_work(factory) as session:
        enqueue(session, "brandloom.finalize_job", job_id="job_1")


def test_after_commit_work_runs_with_the_connection_back_in_the_pool(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    """A callback that opens its own unit of work must not wait for the committed one's
    connection (a worker's housekeeping pool holds one or two)."""
    checked_out: list[int] = []
    with unit_of_work(factory) as session:
        session.add(Workspace(id="ws_1", name="acme"))
        after_commit(session, lambda: checked_out.append(engine.pool.checkedout()))  # type: ignore[attr-defined]
    with factory() as session:
        session.add(Workspace(id="ws_2", name="globex"))
        after_commit(session, lambda: checked_out.append(engine.pool.checkedout()))  # type: ignore[attr-defined]
        session.commit()
    assert checked_out == [0, 0]


def test_every_callback_runs_and_the_first_error_is_raised(
    factory: sessionmaker[Session],
) -> None:
    ran: list[str] = []

    def fail(message: str) -> None:
        ran.append(message)
        raise ValueError(message)

    with pytest.raises(ValueError, match="broker down"), unit_of_work(factory) as session:
        session.add(Workspace(id="ws_1", name="acme"))
        after_commit(session, lambda: fail("broker down"))
        after_commit(session, lambda: ran.append("cache deleted"))
        after_commit(session, lambda: fail("second"))
    assert ran == ["broker down", "cache deleted", "second"]
    assert _names(factory) == ["acme"], "the transaction stays committed"


def test_a_bare_session_runs_its_work_after_its_next_outer_commit(
    factory: sessionmaker[Session],
) -> None:
    sender = RecordingSender(factory)
    ran: list[str] = []
    with factory() as session:
        use_sender(session, sender)
        session.add(Workspace(id="ws_1", name="acme"))
        enqueue(session, "brandloom.finalize_job", job_id="rolled_back")
        after_commit(session, lambda: ran.append("rolled back"))
        session.rollback()
        assert (sender.calls, ran) == ([], [])

        session.add(Workspace(id="ws_2", name="globex"))
        enqueue(session, "brandloom.finalize_job", job_id="job_2")
        after_commit(session, lambda: ran.append("committed"))
        savepoint = session.begin_nested()
        enqueue(session, "brandloom.finalize_job", job_id="job_3")
        savepoint.commit()  # releasing a savepoint is no commit of the transaction
        assert (sender.calls, ran) == ([], [])
        session.commit()
        assert sender.calls == [
            [
                QueuedTask("brandloom.finalize_job", {"job_id": "job_2"}),
                QueuedTask("brandloom.finalize_job", {"job_id": "job_3"}),
            ]
        ]
        assert sender.visible == [["globex"]]
        assert ran == ["committed"]

        session.add(Workspace(id="ws_4", name="initech"))
        enqueue(session, "brandloom.finalize_job", job_id="closed")
        after_commit(session, lambda: ran.append("closed"))
    # Closed without a commit: dropped, and a later transaction of the session does not run it.
    session.add(Workspace(id="ws_5", name="umbrella"))
    session.commit()
    session.close()
    assert len(sender.calls) == 1
    assert ran == ["committed"]
    assert sorted(_names(factory)) == ["globex", "umbrella"]
