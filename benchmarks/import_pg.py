"""Audience import into PostgreSQL: the product's COPY-based path, timed on a throwaway schema.

Run through ``benchmarks/run.py --only import-pg``. The database comes from ``--database-url`` or
``BRANDLOOM_TEST_DATABASE_URL``; every run creates its own schema there and drops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from run import TreeMemory, import_file, write_audience


def postgres_url(explicit: str | None) -> str | None:
    """The PostgreSQL to benchmark: ``--database-url``, else the test database, else none."""
    return explicit or os.environ.get("BRANDLOOM_TEST_DATABASE_URL") or None


@contextlib.contextmanager
def throwaway_schema(base_url: str, *, prefix: str = "bench") -> Iterator[str]:
    """A fresh, empty schema; yields a URL whose connections use it (libpq ``search_path``).

    The schema and everything in it is dropped on the way out, also on Ctrl-C.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from brandloom.settings import normalize_database_url

    base = normalize_database_url(base_url)
    if not base.startswith("postgresql"):
        scheme = base.split(":", 1)[0]
        raise SystemExit(f"--database-url: expected a postgresql:// URL, got '{scheme}://...'")
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            sep = "&" if "?" in base else "?"
            yield f"{base}{sep}options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def bench_import_pg(rows: int, database_url: str | None) -> None:
    """Time ``import_audience`` (CSV read, validation, COPY, commit) into PostgreSQL."""
    base = postgres_url(database_url)
    if base is None:
        print(
            "import-pg skipped: set BRANDLOOM_TEST_DATABASE_URL or pass --database-url "
            "(a PostgreSQL where the user may create schemas)"
        )
        return

    from sqlalchemy import text

    from brandloom.audiences.models import Contact
    from brandloom.db.engine import make_engine, make_session_factory
    from brandloom.db.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp, throwaway_schema(base) as url:
        path = Path(tmp) / "contacts.csv"
        write_audience(path, rows)
        size_mb = path.stat().st_size / 1e6
        engine = make_engine(url)
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with TreeMemory(os.getpid()) as mem:
                cpu_before = time.process_time()
                started = time.perf_counter()
                audience = import_file(factory, path)
                total_s = time.perf_counter() - started
                cpu_s = time.process_time() - cpu_before
            with engine.connect() as conn:
                size = conn.scalar(
                    text("SELECT pg_total_relation_size(:t)"), {"t": Contact.__tablename__}
                )
                table_mb = int(size or 0) / 1e6
        finally:
            engine.dispose()
    print(
        f"import-pg {rows:>9,} rows ({size_mb:.0f} MB CSV): full import into PostgreSQL "
        f"{total_s:6.2f} s ({rows / total_s:,.0f} rows/s, {audience.accepted:,} accepted), "
        f"peak RSS {mem.peak / 2**20:,.0f} MB and CPU {cpu_s:.1f} s (this process; the database "
        f"server not counted), table 'contact' {table_mb:,.0f} MB on disk"
    )
