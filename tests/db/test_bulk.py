"""Bulk inserts (executemany / COPY) and the background writer, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.bulk import BackgroundWriter, bulk_insert
from brandloom.workspaces.models import Workspace

TABLE = Workspace.__table__
COLUMNS = ("id", "name", "created_at")


def _rows(start: int, count: int) -> list[tuple[str, str, str]]:
    return [
        (f"ws_{i}", f"name {i}", "2026-01-01 00:00:00+00:00") for i in range(start, start + count)
    ]


def test_background_writer_writes_every_batch_in_the_transaction(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session:
        with BackgroundWriter(session) as writer:
            for start in range(0, 5000, 1000):
                writer.put(TABLE, COLUMNS, _rows(start, 1000))  # type: ignore[arg-type]
        assert session.scalar(select(func.count()).select_from(Workspace)) == 5000
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Workspace)) == 0


def test_background_writer_reports_a_failed_batch(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        bulk_insert(session, TABLE, COLUMNS, _rows(0, 1))  # type: ignore[arg-type]
        writer = BackgroundWriter(session)
        writer.put(TABLE, COLUMNS, _rows(0, 1))  # type: ignore[arg-type]  # duplicate id
        with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)):
            writer.close()
        session.rollback()
