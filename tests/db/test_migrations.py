"""Migrations upgrade and downgrade cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, inspect

from brandloom.db.engine import make_engine
from brandloom.db.migrate import downgrade, upgrade
from brandloom.db.models import Base


def test_upgrade_creates_every_table_and_downgrade_removes_them(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    downgrade(engine, "base")
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_one_step_and_back(engine: Engine) -> None:
    downgrade(engine, "-1")
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_processes_starting_together_upgrade_one_at_a_time(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the migration lock is a PostgreSQL advisory lock")
    downgrade(engine, "base")
    errors: list[BaseException] = []

    def start() -> None:
        try:
            upgrade(make_engine(engine.url.render_as_string(hide_password=False)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
