"""Schema migrations (Alembic), applied automatically by the CLI and the API at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


# Any fixed number: PostgreSQL advisory lock that serializes concurrent upgrades.
_MIGRATION_LOCK = 0x6272616E64  # "brand"


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection for one migration run, in a transaction.

    SQLite alters a table by copying it, dropping the old one and renaming the copy; with
    foreign keys enforced, the drop fails while rows of other tables refer to it. So foreign
    keys are off while a run lasts (the pragma only takes effect outside a transaction), every
    reference is checked before the run commits, and they are on again afterwards.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                    )
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                conn.rollback()  # nothing is open after a clean run; after an error, the rest
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; processes starting together (API, workers) take turns."""
    cfg = alembic_config()
    with _migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with _migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
