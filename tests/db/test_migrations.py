"""Migrations upgrade and downgrade cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

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
