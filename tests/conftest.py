"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.db.migrate import upgrade
from brandloom.settings import normalize_database_url
from brandloom.wiring import setup as setup_kinds
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import ensure_default_workspace

# The job kinds, as the API, the CLI and the workers register them at start-up.
setup_kinds()

PG_URL = os.environ.get("BRANDLOOM_TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    base = normalize_database_url(PG_URL)
    sep = "&" if "?" in base else "?"
    # The schema is also the connections' application name: the fixture ends them with it.
    return f"{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a private schema on the test PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'brandloom.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    if not PG_URL:
        pytest.skip("BRANDLOOM_TEST_DATABASE_URL is not set")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(normalize_database_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            # Connections left open by the test (an engine or app it never disposed) end here,
            # not at some later garbage collection: a long run stays under max_connections.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def default_workspace(factory: sessionmaker[Session]) -> Workspace:
    """The ``default`` workspace, as the CLI creates it on first use (``AppContext.operator``)."""
    with unit_of_work(factory) as session:
        return ensure_default_workspace(session)
