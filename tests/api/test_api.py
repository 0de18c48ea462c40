"""The REST API end to end, and workspace isolation on every endpoint."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from brandloom.api.app import create_app
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs.schemas import JobRead
from brandloom.settings import Settings
from brandloom.workspaces.service import create_workspace
from tests.factories import HTML

CSV = (
    "email,first_name,city,locale,consent\n"
    "ann@example.com,Ann,Berlin,de-DE,yes\n"
    "bob@example.com,<b>Bob</b>,Tokyo,ja-JP,yes\n"
    "not-an-email,X,Y,en-US,yes\n"
)


def _keys(url: str) -> tuple[str, str]:
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as session:
        a = create_workspace(session, name="acme").api_key
        b = create_workspace(session, name="globex").api_key
    return a, b


@pytest.fixture
def api(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url), workers=1)
    key_a, key_b = _keys(database_url)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {key_a}"}, {"Authorization": f"Bearer {key_b}"}


def _upload(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    resp = client.post(
        "/v1/audiences?wait=true",
        headers=headers,
        files={"file": ("contacts.csv", CSV.encode(), "text/csv")},
        data={"key": "email"},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _job(
    client: TestClient, headers: dict[str, str], audience_id: str, template_id: str
) -> dict[str, Any]:
    resp = client.post(
        "/v1/jobs",
        headers=headers,
        json={
            "name": "api-job",
            "audience_id": audience_id,
            "template_id": template_id,
            "outputs": ["html", "txt"],
            "seed": 3,
        },
    )
    assert resp.status_code == 202, resp.text
    job = resp.json()
    client.app.state.brandloom.executor.wait(job["id"], timeout=120)  # type: ignore[attr-defined]
    return client.get(f"/v1/jobs/{job['id']}", headers=headers).json()


def _template(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    resp = client.post(
        "/v1/templates",
        headers=headers,
        json={"name": "welcome", "parts": {"subject": "Hi {{ first_name }}", "html": HTML}},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_full_flow(api: tuple[TestClient, dict[str, str], dict[str, str]]) -> None:
    client, a, _ = api
    audience = _upload(client, a)
    assert (audience["rows_read"], audience["accepted"], audience["rejected"]) == (3, 2, 1)
    rejects = client.get(f"/v1/audiences/{audience['id']}/rejects", headers=a).json()
    assert rejects["items"][0]["row"] == 3 and rejects["next_cursor"] is None
    template = _template(client, a)
    job = _job(client, a, audience["id"], template["id"])
    assert job["state"] == "done", job
    assert job["progress"]["percent"] == 100.0
    assert job["report"]["documents"] == {"html": 2, "txt": 2}

    manifest = client.get(f"/v1/jobs/{job['id']}/manifest?limit=1", headers=a).json()
    assert len(manifest["items"]) == 1 and manifest["next_cursor"]
    rest = client.get(
        f"/v1/jobs/{job['id']}/manifest", params={"cursor": manifest["next_cursor"]}, headers=a
    ).json()
    assert [m["key"] for m in manifest["items"] + rest["items"]] == [
        "ann@example.com",
        "bob@example.com",
    ]
    doc = client.get(f"/v1/jobs/{job['id']}/documents/bob@example.com/html", headers=a)
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;Bob&lt;/b&gt;" in doc.text
    archive = client.get(f"/v1/jobs/{job['id']}/archive", headers=a)
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "manifest.jsonl" in names and "html/ann@example.com.html" in names


def test_status_reads_speak_the_same_json_as_the_other_job_endpoints(
    api: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    """The polling endpoint serializes its own response: same fields, same formats."""
    client, a, _ = api
    audience = _upload(client, a)
    template = _template(client, a)
    created = client.post(
        "/v1/jobs",
        headers=a,
        json={"name": "same-json", "audience_id": audience["id"], "template_id": template["id"]},
    )
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    client.app.state.brandloom.executor.wait(job_id, timeout=120)  # type: ignore[attr-defined]
    status = client.get(f"/v1/jobs/{job_id}", headers=a)
    assert status.status_code == 200 and status.headers["content-type"] == "application/json"
    body, before = status.json(), created.json()  # ``before``: serialized by FastAPI
    assert body.keys() == before.keys() == set(JobRead.model_fields)
    for field in ("id", "name", "audience_id", "template_id", "created_at"):
        assert body[field] == before[field], field
    assert body["state"] == "done" and body["progress"]["percent"] == 100.0
    assert JobRead.model_validate(body).model_dump(mode="json") == body


def test_errors_have_one_shape(api: tuple[TestClient, dict[str, str], dict[str, str]]) -> None:
    client, a, _ = api
    bad = client.post(
        "/v1/templates", headers=a, json={"name": "x", "parts": {"html": "<p>{{ oops </p>"}}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "template.syntax_error"
    assert "line 1" in bad.json()["error"]["message"]
    missing = client.get("/v1/jobs/job_nope", headers=a)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job.not_found"
    invalid = client.post("/v1/jobs", headers=a, json={"name": "x"})
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "request.invalid"


def test_workspace_isolation_on_every_endpoint(
    api: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    client, a, b = api
    audience = _upload(client, a)
    template = _template(client, a)
    job = _job(client, a, audience["id"], template["id"])
    aud, tpl, jid = audience["id"], template["id"], job["id"]

    reads = [
        ("GET", f"/v1/audiences/{aud}", None),
        ("GET", f"/v1/audiences/{aud}/rejects", None),
        ("GET", f"/v1/templates/{tpl}", None),
        ("GET", f"/v1/jobs/{jid}", None),
        ("GET", f"/v1/jobs/{jid}/manifest", None),
        ("GET", f"/v1/jobs/{jid}/documents/ann@example.com/html", None),
        ("GET", f"/v1/jobs/{jid}/archive", None),
        ("POST", f"/v1/jobs/{jid}/cancel", None),
        ("POST", f"/v1/jobs/{jid}/resume", None),
        (
            "POST",
            "/v1/jobs",
            {"name": "steal", "audience_id": aud, "template_id": tpl, "outputs": ["html"]},
        ),
    ]
    for method, path, body in reads:
        other = client.request(method, path, headers=b, json=body)
        assert other.status_code == 404, (method, path, other.status_code, other.text)
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        forged = client.request(method, path, json=body, headers={"Authorization": "Bearer bl_x"})
        assert forged.status_code == 401, (method, path)
        owner = client.request(method, path, headers=a, json=body)
        assert owner.status_code != 404 and owner.status_code != 401, (method, path, owner.text)

    for path, kwargs in [
        ("/v1/audiences", {"files": {"file": ("c.csv", CSV.encode(), "text/csv")}}),
        ("/v1/templates", {"json": {"name": "t", "parts": {"subject": "x"}}}),
    ]:
        assert client.post(path, **kwargs).status_code == 401  # type: ignore[arg-type]


def test_health(api: tuple[TestClient, dict[str, str], dict[str, str]]) -> None:
    client, _, _ = api
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert "/v1/jobs" in client.get("/openapi.json").json()["paths"]


def test_expired_job_outputs_are_purged(
    api: tuple[TestClient, dict[str, str], dict[str, str]], database_url: str, tmp_path: Path
) -> None:
    from datetime import timedelta

    from brandloom.db.base import utcnow
    from brandloom.jobs.models import Job
    from brandloom.jobs.service import purge_expired_outputs

    client, a, _ = api
    audience = _upload(client, a)
    job = _job(client, a, audience["id"], _template(client, a)["id"])
    jobs_dir = tmp_path / "data" / "jobs"
    assert (jobs_dir / job["id"] / "manifest.jsonl").exists()
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        assert purge_expired_outputs(session, jobs_dir=jobs_dir, retention_days=30) == 0
        row = session.get(Job, job["id"])
        assert row is not None
        row.finished_at = utcnow() - timedelta(days=31)
    with unit_of_work(factory) as session:
        assert purge_expired_outputs(session, jobs_dir=jobs_dir, retention_days=30) == 1
    assert not (jobs_dir / job["id"]).exists()


def test_a_stored_template_renders_with_the_jobs_unsubscribe_url(
    api: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    """The spec's ``email.unsubscribe_url`` reaches a stored template's messages (it used to
    reach only inline templates' messages) as their List-Unsubscribe header."""
    client, a, _ = api
    audience = _upload(client, a)
    template = _template(client, a)
    resp = client.post(
        "/v1/jobs",
        headers=a,
        json={
            "name": "unsub",
            "audience_id": audience["id"],
            "template_id": template["id"],
            "outputs": ["eml"],
            "email": {
                "from": "news@example.com",
                "unsubscribe_url": "https://example.com/unsubscribe?c={{ key | url_encode }}",
            },
        },
    )
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    client.app.state.brandloom.executor.wait(job_id, timeout=120)  # type: ignore[attr-defined]
    eml = client.get(f"/v1/jobs/{job_id}/documents/ann@example.com/eml", headers=a)
    assert eml.status_code == 200, eml.text
    assert "List-Unsubscribe: <https://example.com/unsubscribe?c=ann%40example.com>" in eml.text


def test_a_typo_in_a_job_names_the_field_and_suggests_the_known_one(
    api: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    client, a, _ = api
    resp = client.post(
        "/v1/jobs",
        headers=a,
        json={
            "name": "x",
            "audience_id": "aud_x",
            "template_id": "tpl_x",
            "outptus": ["html"],
            "email": "hello@example.com",
            "qa": {"banned_phrase": ["free"]},
        },
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "request.invalid"
    message = error["message"]
    assert "outptus: unknown field `outptus`; did you mean `outputs`?" in message
    assert "qa.banned_phrase: unknown field `banned_phrase`; did you mean `banned_phrases`?" in (
        message
    )
    assert "email: expected a mapping of fields, got text" in message
    assert "Extra inputs" not in message and "EmailSpec" not in message
    assert "instance of" not in message


@pytest.mark.parametrize(
    ("email_spec", "field"),
    [
        ({"from": "Lumen <news@example.com"}, "email.from"),
        ({"from": "news@☃.net"}, "email.from"),
        ({"from": "Lumen <news@example.com>", "from_name": "Lumen"}, "email.from_name"),
    ],
)
def test_a_bad_sender_is_refused_at_submit_not_failed_later(
    api: tuple[TestClient, dict[str, str], dict[str, str]],
    email_spec: dict[str, str],
    field: str,
) -> None:
    client, a, _ = api
    audience = _upload(client, a)
    template = _template(client, a)
    body = {
        "name": "sender",
        "audience_id": audience["id"],
        "template_id": template["id"],
        "outputs": ["eml"],
        "email": email_spec,
    }
    before = client.get("/v1/jobs", headers=a).json()["items"]
    resp = client.post("/v1/jobs", headers=a, json=body)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "request.invalid" and f"{field}:" in error["message"]
    assert client.get("/v1/jobs", headers=a).json()["items"] == before


def test_a_sender_with_a_display_name_is_accepted(
    api: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    client, a, _ = api
    audience = _upload(client, a)
    template = _template(client, a)
    resp = client.post(
        "/v1/jobs",
        headers=a,
        json={
            "name": "mailbox",
            "audience_id": audience["id"],
            "template_id": template["id"],
            "outputs": ["eml"],
            "email": {
                "from": "Lumen <news@example.com>",
                "unsubscribe_url": "https://example.com/u?c={{ key | url_encode }}",
            },
        },
    )
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    client.app.state.brandloom.executor.wait(job_id, timeout=120)  # type: ignore[attr-defined]
    assert client.get(f"/v1/jobs/{job_id}", headers=a).json()["state"] == "done"
    eml = client.get(f"/v1/jobs/{job_id}/documents/ann@example.com/eml", headers=a)
    assert eml.status_code == 200, eml.text
    assert "From: Lumen <news@example.com>" in eml.text
    message_id = next(line for line in eml.text.splitlines() if line.startswith("Message-ID:"))
    assert message_id.endswith("@example.com>")
