"""The API with two workspaces and keys of several scopes, for the brand endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from brandloom.api.app import create_app
from brandloom.auth import AuthContext
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.settings import Settings
from brandloom.workspaces.service import create_workspace, issue_key

Headers = dict[str, str]


class BrandApi:
    """A client and keys: ``a`` (workspace acme, every scope), ``b`` (globex), ``read``
    (acme, brands:read only), ``other`` (acme, templates:read only)."""

    def __init__(self, client: TestClient, keys: dict[str, str]) -> None:
        self.client = client
        self.a, self.b, self.read, self.other = (
            {"Authorization": f"Bearer {keys[name]}"} for name in ("a", "b", "read", "other")
        )

    def create(self, name: str, **body: Any) -> Any:
        resp = self.client.post("/v1/brands", headers=self.a, json={"name": name, **body})
        assert resp.status_code == 201, resp.text
        return resp.json()

    def add_texts(self, brand_id: str, texts: list[str]) -> Any:
        resp = self.client.post(
            f"/v1/brands/{brand_id}/library",
            headers=self.a,
            json={"texts": [{"text": t} for t in texts]},
        )
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture
def brand_api(database_url: str, tmp_path: Path) -> Iterator[BrandApi]:
    engine = make_engine(database_url)
    with unit_of_work(make_session_factory(engine)) as session:
        acme = create_workspace(session, name="acme")
        globex = create_workspace(session, name="globex")
        operator = AuthContext.operator(acme.workspace)
        keys = {
            "a": acme.api_key,
            "b": globex.api_key,
            "read": issue_key(session, operator, name="r", scopes=["brands:read"]).api_key,
            "other": issue_key(session, operator, name="o", scopes=["templates:read"]).api_key,
        }
    engine.dispose()
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url), workers=1)
    with TestClient(app) as client:
        yield BrandApi(client, keys)
