"""Batched bulk inserts below the ORM: executemany on SQLite, COPY on PostgreSQL.

Used on the hot paths (audience import, per-chunk document records) where ORM bookkeeping per
row would cost more than the write itself. Values must already be in their stored form (JSON
columns as text). Writes run inside the session's current transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if rows:
        dbapi, dialect = _dbapi(session)
        _insert(dbapi, dialect, table, columns, rows)


def _dbapi(session: Session) -> tuple[Any, str]:
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    return dbapi, connection.dialect.name


def _insert(
    dbapi: Any, dialect: str, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = dbapi.cursor()
    try:
        if dialect == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        # Table and column names come from the ORM metadata, never from input; values are bound.
        cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)  # noqa: S608
    finally:
        cursor.close()


_DONE = object()


class BackgroundWriter:
    """Inserts batches on a second thread while the caller goes on producing rows.

    SQLite and psycopg release the GIL while they write, so parsing the next batch and writing
    the last one overlap on two cores. The queue is bounded (back-pressure), the writer uses the
    session's own connection and transaction, and the session must not be used by the caller
    until ``close()`` returns. A write error is raised in the caller at the next ``put`` or at
    ``close``.
    """

    def __init__(self, session: Session, *, depth: int = 3) -> None:
        self._dbapi, self._dialect = _dbapi(session)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="brandloom-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self._error is not None:
                continue  # drain without writing after a failure
            table, columns, rows = item
            try:
                _insert(self._dbapi, self._dialect, table, columns, rows)
            except BaseException as exc:
                self._error = exc

    def put(self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self._error is not None:
            raise self._error
        if rows:
            self._queue.put((table, columns, rows))

    def close(self) -> None:
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        self._queue.put(_DONE)
        self._thread.join()
