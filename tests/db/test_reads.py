"""Hot-path reads: they see committed data at once, and on PostgreSQL never block the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db import engine as engine_module
from brandloom.db.engine import unit_of_work
from brandloom.db.reads import QuickReads
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import create_workspace


def _name_of(workspace_id: str) -> Callable[[Connection], str | None]:
    def read(conn: Connection) -> str | None:
        return conn.execute(select(Workspace.name).where(Workspace.id == workspace_id)).scalar()

    return read


def test_reads_see_every_committed_change(engine: Engine, factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        workspace_id = create_workspace(session, name="acme").workspace.id
    reads = QuickReads(engine)
    assert reads.mode == ("asyncio" if engine.dialect.name == "postgresql" else "event loop")

    async def scenario() -> list[str | None]:
        seen = [await reads.run(_name_of(workspace_id))]
        with unit_of_work(factory) as session:
            session.get_one(Workspace, workspace_id).name = "acme-renamed"
        # A pooled connection must not keep an old snapshot (no transaction left open).
        seen.append(await reads.run(_name_of(workspace_id)))
        seen.append(await reads.run(_name_of("ws_missing")))
        await reads.aclose()
        return seen

    assert asyncio.run(scenario()) == ["acme", "acme-renamed", None]
    # Closed pools reopen: a second event loop (a restarted server, a new test client) works.
    assert asyncio.run(_once(reads, workspace_id)) == "acme-renamed"


async def _once(reads: QuickReads, workspace_id: str) -> str | None:
    try:
        return await reads.run(_name_of(workspace_id))
    finally:
        await reads.aclose()


def test_a_postgresql_read_leaves_the_event_loop_free(engine: Engine) -> None:
    """While one read waits on the database, the loop keeps serving other work."""
    if engine.dialect.name != "postgresql":
        pytest.skip("asyncio reads are for PostgreSQL")
    reads = QuickReads(engine)

    async def scenario() -> tuple[float, int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # the ticker has started
        ticks = 0
        try:
            slept = await reads.run(
                lambda conn: conn.execute(text("SELECT pg_sleep(0.5), 0.5")).one()[1]
            )
        finally:
            done.set()
            await task
            await reads.aclose()
        return float(slept), ticks

    slept, ticks = asyncio.run(scenario())
    assert slept == 0.5
    # A read that blocked the loop would leave the ticker at 0 or 1.
    assert ticks >= 10, ticks


def test_a_postgresql_read_runs_outside_any_transaction(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("autocommit is a PostgreSQL setting")
    reads = QuickReads(engine)

    def state(conn: Connection) -> str:
        # In autocommit mode each statement is its own transaction: two statements never share
        # a transaction id (inside a transaction they would).
        first = conn.execute(text("SELECT txid_current()")).scalar_one()
        second = conn.execute(text("SELECT txid_current()")).scalar_one()
        return "separate" if first != second else "shared"

    async def scenario() -> str:
        try:
            return await reads.run(state)
        finally:
            await reads.aclose()

    assert asyncio.run(scenario()) == "separate"


def test_a_postgresql_connection_killed_while_idle_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connection pooling")
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    reads = QuickReads(engine, max_connections=1)

    def backend_pid(conn: Connection) -> int:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    async def scenario() -> tuple[int, int]:
        try:
            first = await reads.run(backend_pid)
            admin = create_engine(engine.url)
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            admin.dispose()
            return first, await reads.run(backend_pid)
        finally:
            await reads.aclose()

    first, second = asyncio.run(scenario())
    assert second != first, "the dead pooled connection was tested and replaced"
