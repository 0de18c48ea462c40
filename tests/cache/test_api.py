"""The API authenticates through the app's cache, tags requests with the workspace, and keeps
serving when Redis is down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from brandloom.api.app import create_app
from brandloom.api.deps import CurrentWorkspace
from brandloom.auth import AuthContext
from brandloom.db.engine import unit_of_work
from brandloom.settings import Settings
from brandloom.workspaces.models import ApiKey, Workspace
from brandloom.workspaces.service import (
    auth_cache_key,
    create_workspace,
    hash_key,
    issue_key,
    revoke_key,
)


def _client(database_url: str, tmp_path: Path, **settings: Any) -> Iterator[TestClient]:
    app = create_app(
        Settings(data_dir=tmp_path / "data", database_url=database_url, **settings), workers=1
    )

    @app.get("/_probe")
    def probe(request: Request, workspace: CurrentWorkspace) -> dict[str, Any]:
        return {
            "workspace": workspace.name,
            "state": getattr(request.state, "workspace_id", None),
            "log_context": structlog.contextvars.get_contextvars().get("workspace_id"),
        }

    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(database_url, tmp_path)


def _issue(client: TestClient, name: str = "acme") -> tuple[str, dict[str, str]]:
    factory = client.app.state.brandloom.factory  # type: ignore[attr-defined]
    with unit_of_work(factory) as session:
        issued = create_workspace(session, name=name)
        return issued.workspace.id, {"Authorization": f"Bearer {issued.api_key}"}


def _revoke_key_of(state: Any, ws_id: str) -> None:
    """Revoke the workspace's only key through the app's cache, as the CLI would."""
    with unit_of_work(state.factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        key_id = session.scalars(select(ApiKey.id).where(ApiKey.workspace_id == ws_id)).one()
        revoke_key(session, AuthContext.operator(workspace), key_id=key_id, cache=state.cache)


def test_requests_carry_the_workspace_id(client: TestClient) -> None:
    ws_id, headers = _issue(client)
    body = client.get("/_probe", headers=headers).json()
    assert body == {"workspace": "acme", "state": ws_id, "log_context": ws_id}


def test_revocation_through_the_app_cache_takes_effect_on_the_next_request(
    client: TestClient,
) -> None:
    ws_id, headers = _issue(client)
    state = client.app.state.brandloom  # type: ignore[attr-defined]
    key = headers["Authorization"].removeprefix("Bearer ")
    assert client.get("/_probe", headers=headers).status_code == 200
    assert state.cache.get(auth_cache_key(hash_key(key))) is not None
    _revoke_key_of(state, ws_id)
    resp = client.get("/_probe", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "auth.unauthorized"


def test_the_api_works_while_redis_is_down(database_url: str, tmp_path: Path) -> None:
    for client in _client(database_url, tmp_path, redis_url="redis://:hunter2@127.0.0.1:1/0"):
        assert client.app.state.brandloom.cache.name == "redis"  # type: ignore[attr-defined]
        ws_id, headers = _issue(client)
        for _ in range(3):
            assert client.get("/_probe", headers=headers).json()["state"] == ws_id
        created = client.post(
            "/v1/templates",
            headers=headers,
            json={"name": "t", "parts": {"subject": "Hi {{ first_name }}"}},
        )
        assert created.status_code == 201, created.text
        tpl = client.get(f"/v1/templates/{created.json()['id']}", headers=headers)
        assert tpl.status_code == 200
        assert client.get("/_probe").status_code == 401
        missing = client.get("/v1/jobs/job_missing", headers=headers)
        assert missing.status_code == 404, "the polling endpoint falls back to the database"


def test_job_status_reads_authenticate_through_the_cache_and_honour_revocation(
    client: TestClient,
) -> None:
    """The polling endpoint's own authentication path: cache hit, miss, revocation."""
    ws_id, headers = _issue(client)
    state = client.app.state.brandloom  # type: ignore[attr-defined]
    key = headers["Authorization"].removeprefix("Bearer ")
    assert state.cache.get(auth_cache_key(hash_key(key))) is None
    for _ in range(2):  # a miss (looked up in the database), then a hit
        resp = client.get("/v1/jobs/job_missing", headers=headers)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "job.not_found"
        assert state.cache.get(auth_cache_key(hash_key(key))) is not None
    assert resp.headers["X-Request-ID"]
    forged = {"Authorization": "Bearer bl_" + "x" * 43}
    assert client.get("/v1/jobs/job_missing", headers=forged).status_code == 401
    assert client.get("/v1/jobs/job_missing").status_code == 401
    _revoke_key_of(state, ws_id)
    resp = client.get("/v1/jobs/job_missing", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "auth.unauthorized"


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process sends meanwhile (asyncio ones included)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_the_status_poll_checks_cached_scopes_without_a_query(client: TestClient) -> None:
    ws_id, _ = _issue(client)
    state = client.app.state.brandloom  # type: ignore[attr-defined]
    with unit_of_work(state.factory) as session:
        operator = AuthContext.operator(session.get_one(Workspace, ws_id))
        other = issue_key(session, operator, name="keys", scopes=["keys:read"])
        reader = issue_key(session, operator, name="reader", scopes=["jobs:read"])
    refused_headers = {"Authorization": f"Bearer {other.api_key}"}
    reader_headers = {"Authorization": f"Bearer {reader.api_key}"}
    for headers in (refused_headers, reader_headers):  # looked up once, then cached
        client.get("/v1/jobs/job_missing", headers=headers)
    entry = orjson.loads(state.cache.get(auth_cache_key(hash_key(other.api_key))))
    assert entry["scopes"] == ["keys:read"]

    with _statements() as seen:
        refused = client.get("/v1/jobs/job_missing", headers=refused_headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "auth.forbidden"
    assert seen == [], "a cached key is refused without a query"
    with _statements() as seen:
        served = client.get("/v1/jobs/job_missing", headers=reader_headers)
    assert served.status_code == 404 and served.json()["error"]["code"] == "job.not_found"
    assert len(seen) == 1 and "api_key" not in seen[0], "one query: the status row"

    with unit_of_work(state.factory) as session:
        operator = AuthContext.operator(session.get_one(Workspace, ws_id))
        revoke_key(session, operator, key_id=reader.key_id, cache=state.cache)
    assert client.get("/v1/jobs/job_missing", headers=reader_headers).status_code == 401


def test_a_cached_entry_without_scopes_is_looked_up_again(client: TestClient) -> None:
    """Entries written before keys had scopes must not pass for keys without limits."""
    ws_id, _ = _issue(client)
    state = client.app.state.brandloom  # type: ignore[attr-defined]
    with unit_of_work(state.factory) as session:
        operator = AuthContext.operator(session.get_one(Workspace, ws_id))
        limited = issue_key(session, operator, name="keys", scopes=["keys:read"])
    old_entry = {
        "key_id": limited.key_id,
        "workspace_id": ws_id,
        "workspace_name": "acme",
        "workspace_created_at": "2026-01-01T00:00:00+00:00",
    }
    state.cache.set(auth_cache_key(hash_key(limited.api_key)), orjson.dumps(old_entry), 60)
    headers = {"Authorization": f"Bearer {limited.api_key}"}
    assert client.get("/v1/jobs/job_missing", headers=headers).status_code == 403
    assert client.get("/v1/templates/tpl_missing", headers=headers).status_code == 403
