"""Engine, session factory and unit of work, for SQLite (embedded default) and PostgreSQL.

A unit of work (:func:`unit_of_work`) is the one place a transaction commits: the request, the
CLI command, the task. What must wait for the commit is queued on its session, with
:func:`after_commit` (any callback) or :func:`enqueue` (a task for the workers), and runs only
once the commit succeeded; a rollback drops it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from brandloom.settings import normalize_database_url


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, pre_ping: bool = True
) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys so processes share it."""
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: a connection may be handed to a writer thread (one user at a time).
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800)
    if pre_ping:
        ping_idle_connections(engine)
    return engine


# A connection that sat in the pool longer than this is tested before use.
IDLE_PING_SECONDS = 5.0


def ping_idle_connections(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle.

    A restarted or failed-over database leaves dead connections in the pool; testing one
    before use (a round trip) lets the pool replace it instead of failing a request. Testing
    every checkout would cost a round trip per request under load, when connections are busy
    and known good; so only connections idle for ``IDLE_PING_SECONDS`` are tested.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("checked_in_at")
        if last is None or time.monotonic() - last < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            # The pool invalidates this connection and checks out another (or a new one).
            raise DisconnectionError("pooled connection failed its liveness check") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


# What a transaction leaves for after its commit lives in ``session.info``: the callbacks in
# order, the tasks queued so far, and the sender they go out through.
_AFTER_COMMIT = "brandloom.after_commit"
_TASKS = "brandloom.tasks"
_SENDER = "brandloom.task_sender"
# Set on the sessions a unit of work owns; any other session is "bare" and is followed with
# session events (installed once, flagged by _LISTENING).
_OWNED = "brandloom.unit_of_work"
_LISTENING = "brandloom.after_commit_listening"
_COMMITTED = "brandloom.committed"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueuedTask:
    """A task to send once the transaction that queued it commits: a name and the ids it takes.

    The ids are keyword arguments of the task function and travel as JSON.
    """

    name: str
    kwargs: Mapping[str, str | int]


class TaskSender(Protocol):
    """Sends tasks to workers (``workers.dispatch.CeleryDispatcher`` in production).

    ``send`` gets every task one commit queued, in order, at once: a broker client sends them
    over one connection.
    """

    def send(self, tasks: Sequence[QueuedTask]) -> None: ...


def after_commit(session: Session, fn: Callable[[], object]) -> None:
    """Run ``fn`` once the transaction of ``session`` has committed; drop it if it rolls back.

    For what must not happen unless the transaction's writes are visible: sending tasks to
    workers, starting jobs, emitting domain events, caching what was read. Callbacks run in the
    order they were queued; every one runs even if another raises, and the first error is
    raised once they all ran. In a :func:`unit_of_work` they run after the session is closed
    (its connection back in the pool). A bare session (made by a factory, outside a unit of
    work) runs them when the transaction they were queued in (begun now if none is) ends
    with a commit, on the way out of ``session.commit()``, and drops them when it ends
    otherwise (rollback, close); releasing a SAVEPOINT is no commit.
    """
    if not session.info.get(_OWNED):
        _follow_transaction(session)
    callbacks: list[Callable[[], object]] | None = session.info.get(_AFTER_COMMIT)
    if callbacks is None:
        callbacks = session.info[_AFTER_COMMIT] = []
    callbacks.append(fn)


def enqueue(session: Session, task: str, **ids: str | int) -> None:
    """Send the task ``task`` with keyword arguments ``ids`` once ``session`` commits.

    Nothing is sent if the transaction rolls back. All the tasks one transaction queues are
    handed to its sender together, in order, at the place of the first of them among the
    :func:`after_commit` callbacks. The sender is the one given to :func:`unit_of_work`, or
    to :func:`use_sender` for a bare session; a session without one refuses at once.
    """
    sender: TaskSender | None = session.info.get(_SENDER)
    if sender is None:
        raise RuntimeError(
            f"cannot enqueue {task!r}: the session has no task sender "
            "(unit_of_work(factory, sender=...) or use_sender(session, sender))"
        )
    tasks: list[QueuedTask] | None = session.info.get(_TASKS)
    if tasks is None:
        batch: list[QueuedTask] = []
        session.info[_TASKS] = batch
        after_commit(session, lambda: sender.send(batch))
        tasks = batch
    tasks.append(QueuedTask(task, ids))


def use_sender(session: Session, sender: TaskSender) -> None:
    """Send the tasks :func:`enqueue` queues on ``session`` through ``sender``."""
    session.info[_SENDER] = sender


def _take(session: Session) -> list[Callable[[], object]]:
    """The transaction's after-commit work, removed from the session."""
    session.info.pop(_TASKS, None)
    callbacks: list[Callable[[], object]] = session.info.pop(_AFTER_COMMIT, [])
    return callbacks


def _run(callbacks: list[Callable[[], object]]) -> None:
    # The transaction is committed: one failing callback (a broker that is down) must not
    # keep the others (a cache invalidation) from running.
    first: BaseException | None = None
    for fn in callbacks:
        try:
            fn()
        except Exception as exc:
            if first is None:
                first = exc
            else:
                log.error("after-commit callback failed", exc_info=exc)
    if first is not None:
        raise first


def _follow_transaction(session: Session) -> None:
    """Tie a bare session's after-commit work to its transaction (begun now if none is)."""
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_transaction_end", _transaction_ended)
    if not session.in_transaction():
        # Without a transaction, a rollback would be no event at all and the work would wait
        # for a later transaction's commit. Beginning one acquires no connection yet.
        session.begin()


def _committed(session: Session) -> None:
    # Also fired when a SAVEPOINT is released; only the outermost commit counts.
    if not session.in_nested_transaction():
        session.info[_COMMITTED] = True


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    committed = session.info.pop(_COMMITTED, False)
    callbacks = _take(session)
    if committed:
        _run(callbacks)


@contextmanager
def unit_of_work(
    factory: sessionmaker[Session], *, sender: TaskSender | None = None
) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises.

    What the block queued with :func:`after_commit` and :func:`enqueue` runs after the commit,
    in order, once the session is closed; a rollback drops it. ``sender`` sends the enqueued
    tasks (required only where the block enqueues).
    """
    session = factory()
    session.info[_OWNED] = True
    if sender is not None:
        use_sender(session, sender)
    try:
        yield session
        session.commit()
    except BaseException:
        _take(session)
        session.rollback()
        raise
    finally:
        session.close()
    _run(_take(session))
