"""Every /v1 route names its scope: 401 without a key, 403 without the scope, served with it.

Keys are issued through the API with a subset of the caller's scopes, never more.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from brandloom.api.app import create_app
from brandloom.auth import ALL, SCOPES, AuthContext
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.db.migrate import upgrade
from brandloom.settings import Settings
from brandloom.workspaces.service import create_workspace, issue_key
from tests.factories import HTML

# (method, route path, scope it needs, request arguments a key holding just that scope may send)
ROUTES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("POST", "/v1/audiences", "audiences:write", {}),
    ("GET", "/v1/audiences", "audiences:read", {}),
    ("GET", "/v1/audiences/{audience_id}", "audiences:read", {}),
    ("GET", "/v1/audiences/{audience_id}/rejects", "audiences:read", {}),
    ("POST", "/v1/templates", "templates:write", {"json": {"name": "t", "parts": {"html": "x"}}}),
    (
        "POST",
        "/v1/templates/files",
        "templates:write",
        {"data": {"name": "t", "subject": "x"}, "files": {"text": ("t.txt", b"x", "text/plain")}},
    ),
    ("GET", "/v1/templates/{template_id}", "templates:read", {}),
    ("GET", "/v1/templates", "templates:read", {}),
    ("POST", "/v1/templates/validate", "templates:read", {"json": {"parts": {"html": "x"}}}),
    (
        "POST",
        "/v1/templates/{template_id}/preview",
        "templates:read",
        {"json": {"contact": {"email": "a@example.com"}}},
    ),
    ("POST", "/v1/jobs", "jobs:write", {"json": {}}),
    ("GET", "/v1/jobs", "jobs:read", {}),
    ("GET", "/v1/jobs/{job_id}", "jobs:read", {}),
    ("GET", "/v1/jobs/{job_id}/manifest", "jobs:read", {}),
    ("GET", "/v1/jobs/{job_id}/documents/{key}/{fmt}", "jobs:read", {}),
    ("GET", "/v1/jobs/{job_id}/archive", "jobs:read", {}),
    ("POST", "/v1/jobs/{job_id}/cancel", "jobs:write", {}),
    ("POST", "/v1/jobs/{job_id}/pause", "jobs:write", {}),
    ("POST", "/v1/jobs/{job_id}/resume", "jobs:write", {}),
    ("POST", "/v1/keys", "keys:write", {"json": {"name": "k", "scopes": ["keys:write"]}}),
    ("GET", "/v1/keys", "keys:read", {}),
    ("DELETE", "/v1/keys/{key_id}", "keys:write", {}),
    ("POST", "/v1/analyze", "analyze", {"json": {"texts": ["Spring sale: 20% off"]}}),
    ("POST", "/v1/brands", "brands:write", {"json": {"name": "b"}}),
    ("GET", "/v1/brands", "brands:read", {}),
    ("GET", "/v1/brands/{brand_id}", "brands:read", {}),
    ("PATCH", "/v1/brands/{brand_id}", "brands:write", {"json": {"name": "c"}}),
    ("DELETE", "/v1/brands/{brand_id}", "brands:write", {}),
    ("GET", "/v1/brands/{brand_id}/guidelines", "brands:read", {}),
    ("PUT", "/v1/brands/{brand_id}/guidelines", "brands:write", {"json": {"tone": ["warm"]}}),
    ("GET", "/v1/brands/{brand_id}/guidelines/versions", "brands:read", {}),
    ("GET", "/v1/brands/{brand_id}/guidelines/versions/{version}", "brands:read", {}),
    ("PUT", "/v1/brands/{brand_id}/kit", "brands:write", {"json": {"font": "Noto Sans"}}),
    ("PUT", "/v1/brands/{brand_id}/kit/logo", "brands:write", {}),
    ("GET", "/v1/brands/{brand_id}/kit/logo", "brands:read", {}),
    ("POST", "/v1/brands/{brand_id}/library", "brands:write", {"json": {"texts": []}}),
    ("GET", "/v1/brands/{brand_id}/library", "brands:read", {}),
    ("POST", "/v1/brands/{brand_id}/voice", "brands:write", {}),
    ("GET", "/v1/brands/{brand_id}/voice", "brands:read", {}),
    ("POST", "/v1/brands/{brand_id}/score", "brands:read", {"json": {"texts": ["hi"]}}),
    ("POST", "/v1/brands/{brand_id}/lint", "brands:read", {"json": {"texts": ["hi"]}}),
    (
        "POST",
        "/v1/write",
        "write",
        {"json": {"brief": {"product": "Acme", "channels": ["sms"], "n": 1}}},
    ),
    ("POST", "/v1/templates/{template_id}/localize", "write", {"json": {"to": ["de-DE"]}}),
    (
        "POST",
        "/v1/templates/from-brief",
        "write",
        {"json": {"brief": {"product": "Acme", "locales": ["en-US"]}}},
    ),
    ("POST", "/v1/predict", "predict", {"json": {"texts": ["Spring sale"]}}),
    (
        "POST",
        "/v1/experiments",
        "experiments:write",
        {"json": {"name": "e", "arms": [{"name": "a"}, {"name": "b"}]}},
    ),
    ("GET", "/v1/experiments", "experiments:read", {}),
    (
        "GET",
        "/v1/experiments/sample-size",
        "experiments:read",
        {"params": {"baseline": 0.02, "mde": 0.1}},
    ),
    (
        "POST",
        "/v1/experiments/{experiment_id}/results",
        "experiments:write",
        {"json": {"results": [{"variant": "a", "impressions": 1, "clicks": 0}]}},
    ),
    ("GET", "/v1/experiments/{experiment_id}/analysis", "experiments:read", {}),
    ("GET", "/v1/experiments/{experiment_id}/allocation", "experiments:read", {}),
    ("GET", "/v1/providers", "providers:read", {}),
    ("PUT", "/v1/providers/{name}", "providers:write", {"json": {"model": "m"}}),
    ("DELETE", "/v1/providers/{name}", "providers:write", {}),
    ("PATCH", "/v1/providers", "providers:write", {"json": {}}),
]


def _concrete(path: str) -> str:
    """The route with every path parameter filled in (with ids that do not exist)."""
    return (
        path.replace("{fmt}", "html").replace("{key}", "k").replace("_id}", "_x").replace("{", "")
    )


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """One app and, for every scope S, a key holding only S and one holding all but S."""
    folder = tmp_path_factory.mktemp("auth")
    url = f"sqlite:///{folder / 'brandloom.db'}"
    engine = make_engine(url)
    upgrade(engine)
    keys: dict[str, str] = {}
    with unit_of_work(make_session_factory(engine)) as session:
        first = create_workspace(session, name="acme")
        operator = AuthContext.operator(first.workspace)
        keys[ALL] = first.api_key
        for scope in SCOPES:
            keys[scope] = issue_key(session, operator, name=scope, scopes=[scope]).api_key
            others = [s for s in SCOPES if s != scope]
            keys["-" + scope] = issue_key(
                session, operator, name="-" + scope, scopes=others
            ).api_key
    engine.dispose()
    app = create_app(Settings(data_dir=folder / "data", database_url=url), workers=1)
    with TestClient(app) as client:
        yield client, keys


def test_the_table_covers_every_v1_route(matrix: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = matrix
    paths = client.get("/openapi.json").json()["paths"]
    served = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/v1/")
        for method in operations
    }
    assert served == {(method, path) for method, path, _, _ in ROUTES}


@pytest.mark.parametrize(
    ("method", "path", "scope", "kwargs"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_every_route_needs_its_scope(
    matrix: tuple[TestClient, dict[str, str]],
    method: str,
    path: str,
    scope: str,
    kwargs: dict[str, Any],
) -> None:
    client, keys = matrix
    url = _concrete(path)
    anonymous = client.request(method, url, **kwargs)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "auth.unauthorized"
    for _ in range(2):  # a key looked up in the database, then the same key from the cache
        refused = client.request(method, url, headers=_bearer(keys["-" + scope]), **kwargs)
        assert refused.status_code == 403, refused.text
        assert refused.json() == {
            "error": {
                "code": "auth.forbidden",
                "message": refused.json()["error"]["message"],
                "details": {"scope": scope},  # which scope the key needs, for a client
            }
        }
        assert f"lacks the scope '{scope}'" in refused.json()["error"]["message"]
    for holder in (scope, ALL):
        for _ in range(2):
            served = client.request(method, url, headers=_bearer(keys[holder]), **kwargs)
            assert served.status_code not in (401, 403), (holder, served.text)


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The app and the first key (``*``) of workspace ``acme``."""
    with unit_of_work(make_session_factory(make_engine(database_url))) as session:
        key = create_workspace(session, name="acme").api_key
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url), workers=1)
    with TestClient(app) as client:
        yield client, key


def _issue(client: TestClient, key: str, *scopes: str, name: str = "k") -> dict[str, Any]:
    resp = client.post(
        "/v1/keys", headers=_bearer(key), json={"name": name, "scopes": list(scopes)}
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_a_key_with_just_the_scopes_of_a_flow_runs_it(api: tuple[TestClient, str]) -> None:
    client, admin = api
    issued = _issue(client, admin, "audiences:write", "templates:write", "jobs:write", "jobs:read")
    assert set(issued) == {"workspace_id", "key_id", "api_key", "scopes"}
    assert issued["scopes"] == ["audiences:write", "jobs:read", "jobs:write", "templates:write"]
    headers = _bearer(issued["api_key"])
    audience = client.post(
        "/v1/audiences?wait=true",
        headers=headers,
        files={"file": ("c.csv", b"email,first_name,city\nann@example.com,Ann,Oslo\n", "text/csv")},
        data={"key": "email"},
    )
    assert audience.status_code == 201, audience.text
    template = client.post(
        "/v1/templates",
        headers=headers,
        json={"name": "t", "parts": {"subject": "Hi {{ first_name }}", "html": HTML}},
    )
    assert template.status_code == 201, template.text
    job = client.post(
        "/v1/jobs",
        headers=headers,
        json={
            "name": "j",
            "audience_id": audience.json()["id"],
            "template_id": template.json()["id"],
            "outputs": ["txt"],
        },
    )
    assert job.status_code == 202, job.text
    client.app.state.brandloom.executor.wait(job.json()["id"], timeout=120)  # type: ignore[attr-defined]
    status = client.get(f"/v1/jobs/{job.json()['id']}", headers=headers)
    assert status.status_code == 200 and status.json()["state"] == "done"
    # Writing audiences is not reading them, nor reading templates.
    refused = client.get(f"/v1/audiences/{audience.json()['id']}", headers=headers)
    assert refused.status_code == 403 and "audiences:read" in refused.text
    assert client.get(f"/v1/templates/{template.json()['id']}", headers=headers).status_code == 403


def test_keys_are_issued_listed_and_revoked_through_the_api(api: tuple[TestClient, str]) -> None:
    client, admin = api
    manager = _issue(client, admin, "keys:read", "keys:write", "jobs:read", name="manager")
    reader = _issue(client, manager["api_key"], "jobs:read", name="reader")
    assert reader["scopes"] == ["jobs:read"] and reader["workspace_id"] == manager["workspace_id"]
    assert client.get("/v1/jobs/job_x", headers=_bearer(reader["api_key"])).status_code == 404
    assert client.get("/v1/keys", headers=_bearer(reader["api_key"])).status_code == 403

    listed = client.get("/v1/keys", headers=_bearer(manager["api_key"]))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(k["name"], k["scopes"]) for k in items] == [
        ("default", ["*"]),
        ("manager", ["jobs:read", "keys:read", "keys:write"]),
        ("reader", ["jobs:read"]),
    ]
    assert set(items[0]) == {"id", "name", "prefix", "scopes", "created_at", "revoked_at"}
    for secret in (admin, manager["api_key"], reader["api_key"]):
        assert secret not in listed.text and secret.removeprefix("bl_") not in listed.text

    revoked = client.delete(f"/v1/keys/{reader['key_id']}", headers=_bearer(manager["api_key"]))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    gone = client.get("/v1/jobs/job_x", headers=_bearer(reader["api_key"]))
    assert gone.status_code == 401, "refused at once, though the key was cached"
    missing = client.delete("/v1/keys/key_nope", headers=_bearer(manager["api_key"]))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "api_key.not_found"


def test_a_key_cannot_grant_what_it_does_not_hold(api: tuple[TestClient, str]) -> None:
    client, admin = api
    manager = _issue(client, admin, "keys:read", "keys:write", "jobs:read")
    headers = _bearer(manager["api_key"])
    for scopes in (["jobs:write"], ["*"], ["jobs:read", "audiences:read"]):
        resp = client.post("/v1/keys", headers=headers, json={"name": "x", "scopes": scopes})
        assert resp.status_code == 403, resp.text
        assert resp.json()["error"]["code"] == "auth.forbidden"
    # Nor take away what it does not hold: the first key ('*') stays.
    first = client.get("/v1/keys", headers=headers).json()["items"][0]
    assert client.delete(f"/v1/keys/{first['id']}", headers=headers).status_code == 403
    assert client.get("/v1/keys", headers=_bearer(admin)).status_code == 200
    assert len(client.get("/v1/keys", headers=_bearer(admin)).json()["items"]) == 2


def test_unknown_scopes_are_refused(api: tuple[TestClient, str]) -> None:
    client, admin = api
    for scopes in (["jobs:read", "jobs:rread"], []):
        resp = client.post("/v1/keys", headers=_bearer(admin), json={"name": "x", "scopes": scopes})
        assert resp.status_code == 422, resp.text
    resp = client.post(
        "/v1/keys", headers=_bearer(admin), json={"name": "x", "scopes": ["jobs:rread"]}
    )
    assert resp.json()["error"]["code"] == "auth.unknown_scope"
    assert "'jobs:rread'" in resp.json()["error"]["message"]
    assert len(client.get("/v1/keys", headers=_bearer(admin)).json()["items"]) == 1
