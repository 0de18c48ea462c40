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
from brandloom.migrations.models import Base
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


def test_job_kinds_migration_carries_existing_jobs_both_ways(engine: Engine) -> None:
    """0003 -> 0004: a render job keeps its spec (as params), counters and references; the
    downgrade gives seed and chunk size their columns back and drops jobs it cannot hold."""
    from sqlalchemy import text

    downgrade(engine, "0003")
    now = "2026-11-30 10:00:00"
    spec = '{"spec": {"seed": 7, "chunk_size": 250, "outputs": ["html"]}, "variants": {}}'
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO workspace (id, name, created_at) VALUES ('w', 'w', :t)"), {"t": now}
        )
        conn.execute(
            text(
                "INSERT INTO audience (id, workspace_id, name, source_sha256, options_sha256,"
                " source_mtime, format, encoding, delimiter, headers, mapping, variables,"
                " rows_read, accepted, rejected, rejected_by_code, created_at) VALUES ('a', 'w',"
                " 'a.csv', 's', 'o', :t, 'csv', NULL, ',', '[]', '{}', '[]', 3, 2, 1, '{}', :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO template (id, workspace_id, name, engine, parts, content_sha256,"
                " created_at) VALUES ('t', 'w', 't', 'jinja', '{}', 'c', :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO job (id, workspace_id, name, state, spec, spec_sha256, audience_id,"
                " template_id, out_dir, seed, chunk_size, chunks_total, chunks_done,"
                " contacts_total, contacts_done, elapsed_s, created_at, documents_failed)"
                " VALUES ('j', 'w', 'spring', 'paused', :spec, 'd', 'a', 't', '/out', '7', 250,"
                " 4, 1, 1000, 250, 1.5, :t, 12)"
            ),
            {"spec": spec, "t": now},
        )
    upgrade(engine)
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "SELECT kind, params, params_sha256, items_total, items_done, items_failed,"
                " audience_id, template_id, out_dir, state FROM job WHERE id = 'j'"
            )
        ).one()
        audience_state = conn.execute(text("SELECT state FROM audience WHERE id = 'a'")).scalar()
        conn.execute(
            text(
                "INSERT INTO job (id, workspace_id, kind, name, state, params, chunks_total,"
                " chunks_done, items_total, items_done, items_failed, elapsed_s, created_at)"
                " VALUES ('i', 'w', 'audiences.import', 'import', 'done', '{}', 1, 1, 1, 1, 0,"
                " 0, :t)"
            ),
            {"t": now},
        )
    assert row[0] == "documents.render" and '"chunk_size": 250' in row[1].replace(":250", ": 250")
    assert tuple(row[2:]) == ("d", 1000, 250, 12, "a", "t", "/out", "paused")
    assert audience_state == "ready"
    downgrade(engine, "0003")
    with engine.begin() as conn:
        back = conn.execute(
            text(
                "SELECT seed, chunk_size, contacts_total, contacts_done, documents_failed,"
                " spec_sha256 FROM job"
            )
        ).all()
    assert [tuple(r) for r in back] == [("7", 250, 1000, 250, 12, "d")]


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
