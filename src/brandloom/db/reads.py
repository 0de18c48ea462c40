"""Short read-only queries for hot API endpoints, run without a worker-thread hop.

A status poll is one keyed SELECT. Handing it to a worker thread costs more than the query:
the hop itself, and above all the GIL hand-over between the event loop and the worker thread,
which under steady load puts the event loop behind a busy thread for up to the interpreter's
switch interval (5 ms) at a time and stretches the latency tail. So:

- PostgreSQL: the query runs on an asyncio connection (psycopg's async mode) from a pool of
  its own, in autocommit mode: one round trip, and the event loop serves other requests while
  it waits.
- SQLite: the query runs on the event loop itself. The database is a file in this process's
  page cache and a keyed lookup takes microseconds; in WAL mode a reader never waits for a
  writer, so there is nothing to wait for off the loop.

Only short, indexed, read-only statements belong here; anything that may scan, write or wait
runs in the worker threads like every other endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from brandloom.db.engine import ping_idle_connections
from brandloom.settings import normalize_database_url

T = TypeVar("T")


class QuickReads:
    """Runs ``read(connection)`` for a hot endpoint; see the module docstring for how.

    ``engine`` is the process's synchronous engine (used as it is for SQLite). For PostgreSQL
    an asyncio engine with a pool of its own is created: up to ``max_connections`` connections,
    opened as load needs them and then kept (recycled after 30 minutes). A fixed pool, not a
    small one with overflow: overflow connections are closed when returned, and under steady
    polling that means connecting to PostgreSQL over and over, which costs the database far
    more than the queries. Call :meth:`aclose` from the event loop that used it, before that
    loop ends.
    """

    def __init__(self, engine: Engine, *, max_connections: int = 15, pre_ping: bool = True) -> None:
        # SQLite's driver opens no transaction for a SELECT: the plain engine reads in one step.
        self._sync = engine
        self._async: AsyncEngine | None = None
        if engine.dialect.name == "postgresql":
            self._async = create_async_engine(
                normalize_database_url(engine.url.render_as_string(hide_password=False)),
                pool_size=max_connections,
                max_overflow=0,
                pool_recycle=1800,
                isolation_level="AUTOCOMMIT",
            )
            if pre_ping:
                ping_idle_connections(self._async.sync_engine)

    @property
    def mode(self) -> str:
        """``asyncio`` (PostgreSQL) or ``event loop`` (SQLite): how reads run."""
        return "asyncio" if self._async is not None else "event loop"

    async def run(self, read: Callable[[Connection], T]) -> T:
        """``read`` with a connection; it must issue only short read-only statements."""
        if self._async is None:
            with self._sync.connect() as conn:
                return read(conn)
        async with self._async.connect() as aconn:
            return await aconn.run_sync(read)

    async def aclose(self) -> None:
        """Close the asyncio pool's connections (they belong to the current event loop)."""
        if self._async is not None:
            await self._async.dispose()
