"""``POST /v1/write`` and ``/v1/providers``: scopes, workspace isolation, keys never returned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import two_workspace_api

BRIEF = {
    "product": "Acme Trail Runner 2",
    "offer": "20% off until Sunday",
    "channels": ["email", "sms"],
    "locales": ["en-US", "de-DE"],
    "n": 2,
}


@pytest.fixture
def api(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with two_workspace_api(
        database_url, tmp_path, {"write": ["write"], "read": ["providers:read"]}
    ) as served:
        yield served


def test_write_returns_candidates_best_and_usage(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, h = api
    resp = client.post("/v1/write", headers=h["write"], json={"brief": BRIEF})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert len(data["candidates"]) == 2 * 2 * 2
    assert set(data["best"]) == {"email|en-US", "email|de-DE", "sms|en-US", "sms|de-DE"}
    assert data["usage"]["calls"] == 0
    first = data["candidates"][data["best"]["email|de-DE"]]
    assert set(first["content"]) == {"subject", "preheader", "body"}
    assert first["scores"]["language"] == "de"

    bad = client.post("/v1/write", headers=h["write"], json={"brief": {**BRIEF, "n": 99}})
    assert bad.status_code == 422 and "brief: n" in bad.json()["error"]["message"]
    denied = client.post("/v1/write", headers=h["read"], json={"brief": BRIEF})
    assert denied.status_code == 403
    none = client.post(
        "/v1/write", headers=h["write"], json={"brief": BRIEF, "provider": "anthropic"}
    )
    assert none.status_code == 503 and none.json()["error"]["code"] == "provider.unavailable"


def test_provider_keys_are_never_returned_and_stay_in_their_workspace(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, h = api
    secret = "sk-secret-value-123"
    put = client.put(
        "/v1/providers/openai",
        headers=h["a"],
        json={"api_key": secret, "model": "gpt-4o-mini", "prices": {"input_per_mtok": 0.15}},
    )
    assert put.status_code == 200, put.text
    assert secret not in put.text and put.json()["has_key"] is True
    listed = client.get("/v1/providers", headers=h["read"])
    assert listed.status_code == 200 and secret not in listed.text
    assert [p["name"] for p in listed.json()["providers"]] == ["openai"]
    assert client.get("/v1/providers", headers=h["b"]).json()["providers"] == []
    assert client.delete("/v1/providers/openai", headers=h["b"]).status_code == 404
    assert client.put("/v1/providers/openai", headers=h["read"], json={}).status_code == 403
    unknown = client.put("/v1/providers/gpt", headers=h["a"], json={})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "provider.unknown"
    patched = client.patch(
        "/v1/providers",
        headers=h["a"],
        json={"default_provider": "openai", "monthly_budget_usd": 5},
    )
    assert patched.json()["default_provider"] == "openai"
    assert patched.json()["monthly_budget_usd"] == 5
    assert client.delete("/v1/providers/openai", headers=h["a"]).status_code == 204
    after = client.get("/v1/providers", headers=h["a"]).json()
    assert after["providers"] == [] and after["default_provider"] is None


def test_a_template_from_a_brief_is_stored_once(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, h = api
    body = {
        "brief": {**BRIEF, "url": "https://acme.example/tr2"},
        "variables": ["email", "first_name", "locale"],
        "unsubscribe_url": "https://acme.example/u?c={{ key }}",
    }
    first = client.post("/v1/templates/from-brief", headers=h["write"], json=body)
    assert first.status_code == 200, first.text
    made = first.json()
    assert made["llm_calls"] == 0 and made["template_reused"] is False
    assert made["writer"] == {"provider": "offline", "model": None}
    assert set(made["variants"]) == {"a", "b"}
    again = client.post("/v1/templates/from-brief", headers=h["write"], json=body).json()
    assert again["template_reused"] is True and again["template_id"] == made["template_id"]
    stored = client.get(f"/v1/templates/{made['template_id']}", headers=h["a"]).json()
    assert set(stored["messages"]) == {"en", "de"}
    assert "{% if first_name %}" in stored["parts"]["html"]
    other = client.get(f"/v1/templates/{made['template_id']}", headers=h["b"])
    assert other.status_code == 404
