"""Pooled PostgreSQL connections that died while idle are replaced, not handed to a request."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from brandloom.db import engine as engine_module
from brandloom.db.engine import make_engine


def _kill_pooled_connection(engine: Engine) -> None:
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(engine.url)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_killed_while_idle_is_replaced(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connection pooling")
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    pinged = make_engine(database_url, pool_size=1, max_overflow=0)
    _kill_pooled_connection(pinged)
    with pinged.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    pinged.dispose()

    unpinged = make_engine(database_url, pool_size=1, max_overflow=0, pre_ping=False)
    _kill_pooled_connection(unpinged)
    with pytest.raises(OperationalError), unpinged.connect() as conn:
        conn.execute(text("SELECT 1"))
    with unpinged.connect() as conn:  # the pool reconnects after the failure
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    unpinged.dispose()
