"""Batched bulk inserts below the ORM: executemany on SQLite, COPY on PostgreSQL.

Used on the hot paths (audience import, per-chunk document records) where ORM bookkeeping per
row would cost more than the write itself. Values must already be in their stored form (JSON
columns as text). Runs inside the session's current transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor()
        try:
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    marks = ", ".join("?" for _ in columns)
    # Table and column names come from the ORM metadata, never from input; values are bound.
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
    cursor = dbapi.cursor()
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()
