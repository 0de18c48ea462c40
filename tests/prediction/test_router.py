"""``/v1/predict`` and ``/v1/experiments``: scopes, workspace isolation, the analysis contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import two_workspace_api

Api = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def api(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with two_workspace_api(
        database_url, tmp_path, {"read": ["experiments:read"], "predict": ["predict"]}
    ) as served:
        yield served


def test_predict_scores_texts_and_ranks_groups(api: Api) -> None:
    client, h = api
    texts = ["You won't believe what this teacher did next", "Budget report, third quarter"]
    resp = client.post("/v1/predict", headers=h["predict"], json={"texts": texts})
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert len(items) == 2
    assert all(i["uncertainty"] > 0 and i["basis"] == "global prior" for i in items)
    ranked = client.post(
        "/v1/predict", headers=h["predict"], json={"groups": {"g1": texts}}
    ).json()["groups"][0]
    assert ranked["group"] == "g1" and ranked["winner"] in texts
    assert 0 < ranked["win_probability"] < 1
    assert client.post("/v1/predict", headers=h["read"], json={"texts": texts}).status_code == 403


def test_an_experiment_from_creation_to_a_decision(api: Api) -> None:
    client, h = api
    made = client.post(
        "/v1/experiments",
        headers=h["a"],
        json={
            "name": "spring subject",
            "part": "subject",
            "arms": [{"name": "a", "text": "Spring sale"}, {"name": "b", "text": "Spring is here"}],
        },
    )
    assert made.status_code == 201, made.text
    experiment = made.json()
    eid = experiment["id"]
    early = client.get(f"/v1/experiments/{eid}/analysis", headers=h["read"]).json()
    assert early["decision"] == "keep_running" and early["enough_data"] is False

    bad = client.post(
        f"/v1/experiments/{eid}/results",
        headers=h["a"],
        json={"results": [{"variant": "c", "impressions": 10, "clicks": 1}]},
    )
    assert bad.status_code == 422 and "'c' is not an arm" in bad.json()["error"]["message"]
    too_many = client.post(
        f"/v1/experiments/{eid}/results",
        headers=h["a"],
        json={"results": [{"variant": "a", "impressions": 10, "clicks": 11}]},
    )
    assert too_many.status_code == 422 and "row 1" in too_many.json()["error"]["message"]

    for _ in range(2):  # results add up
        ok = client.post(
            f"/v1/experiments/{eid}/results",
            headers=h["a"],
            json={
                "results": [
                    {"variant": "a", "impressions": 5_000, "clicks": 100},
                    {"variant": "b", "impressions": 5_000, "clicks": 180},
                ]
            },
        )
        assert ok.status_code == 200, ok.text
    analysis = client.get(f"/v1/experiments/{eid}/analysis", headers=h["read"]).json()
    by_name = {v["variant"]: v for v in analysis["variants"]}
    assert by_name["b"]["impressions"] == 10_000 and by_name["b"]["clicks"] == 360
    assert analysis["decision"] == "b" and by_name["b"]["prob_best"] > 0.99
    allocation = client.get(f"/v1/experiments/{eid}/allocation", headers=h["read"]).json()
    assert abs(sum(allocation["weights"].values()) - 1) < 1e-9
    assert allocation["weights"]["b"] > allocation["weights"]["a"] >= 0.05

    listed = client.get("/v1/experiments", headers=h["read"]).json()["items"]
    assert [e["id"] for e in listed] == [eid]
    assert client.get("/v1/experiments", headers=h["b"]).json()["items"] == []
    assert client.get(f"/v1/experiments/{eid}/analysis", headers=h["b"]).status_code == 404
    other = client.post(
        f"/v1/experiments/{eid}/results",
        headers=h["b"],
        json={"results": [{"variant": "a", "impressions": 1, "clicks": 0}]},
    )
    assert other.status_code == 404
    again = client.post(
        "/v1/experiments",
        headers=h["a"],
        json={"name": "spring subject", "arms": [{"name": "x"}, {"name": "y"}]},
    )
    assert again.status_code == 409


def test_sample_size_matches_the_textbook(api: Api) -> None:
    client, h = api
    resp = client.get(
        "/v1/experiments/sample-size",
        headers=h["read"],
        params={"baseline": 0.5, "mde": 0.5, "power": 0.9},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["per_arm"] == 77  # R: power.prop.test(p1=.5, p2=.75, power=.9)
    bad = client.get(
        "/v1/experiments/sample-size", headers=h["read"], params={"baseline": 2, "mde": 0.1}
    )
    assert bad.status_code == 422
