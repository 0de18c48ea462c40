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
