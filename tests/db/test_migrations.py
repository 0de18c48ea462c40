"""Migrations upgrade and downgrade cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brandloom.db.base import UTCDateTime, utcnow
from brandloom.db.engine import make_engine
from brandloom.db.migrate import downgrade, upgrade
from brandloom.db.models import Base
from brandloom.workspaces.service import authenticate, hash_key


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


_WORKSPACE = sa.table(
    "workspace", sa.column("id"), sa.column("name"), sa.column("created_at", UTCDateTime())
)
_KEY_COLUMNS = ("id", "workspace_id", "name", "prefix", "key_hash")
_API_KEY = sa.table(
    "api_key", *(sa.column(c) for c in _KEY_COLUMNS), sa.column("created_at", UTCDateTime())
)


def _old_key(key_id: str, secret: str) -> dict[str, object]:
    return {
        "id": key_id,
        "workspace_id": "ws_old",
        "name": "default",
        "prefix": secret[:10],
        "key_hash": hash_key(secret),
        "created_at": utcnow(),
    }


def test_keys_issued_before_scopes_keep_every_scope(engine: Engine) -> None:
    downgrade(engine, "0003")
    assert "scopes" not in {c["name"] for c in inspect(engine).get_columns("api_key")}
    with engine.begin() as conn:
        conn.execute(sa.insert(_WORKSPACE).values(id="ws_old", name="old", created_at=utcnow()))
        conn.execute(sa.insert(_API_KEY).values(**_old_key("key_old", "bl_old-secret")))
    upgrade(engine)
    with Session(engine) as session:
        auth = authenticate(session, api_key="bl_old-secret")
    assert (auth.workspace.id, auth.scopes) == ("ws_old", {"*"})
    # The default served the existing rows only: a key written without scopes is refused.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(_API_KEY).values(**_old_key("key_new", "bl_new-secret")))
    downgrade(engine, "0003")
    assert "scopes" not in {c["name"] for c in inspect(engine).get_columns("api_key")}
    upgrade(engine)
