"""``POST /v1/audiences`` runs the import as a job; render jobs wait for it; transitions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from brandloom.api.app import create_app
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.settings import Settings
from brandloom.workspaces.service import create_workspace
from tests.factories import HTML

CSV = (
    "email,first_name,city,locale,consent\n"
    "ann@example.com,Ann,Berlin,de-DE,yes\n"
    "bob@example.com,Bob,Tokyo,ja-JP,yes\n"
    "not-an-email,X,Y,en-US,yes\n"
)
SUMMARY = ("rows_read", "accepted", "rejected", "rejected_by_code")

Api = tuple[TestClient, dict[str, str], dict[str, str]]


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url), workers=1)
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        a = create_workspace(session, name="acme").api_key
        b = create_workspace(session, name="globex").api_key
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {a}"}, {"Authorization": f"Bearer {b}"}


def _wait(client: TestClient, job_id: str) -> None:
    client.app.state.brandloom.executor.wait(job_id, timeout=120)  # type: ignore[attr-defined]


def _upload(client: TestClient, headers: dict[str, str], body: bytes, name: str = "c.csv") -> Any:
    return client.post("/v1/audiences", headers=headers, files={"file": (name, body, "text/csv")})


def _render(client: TestClient, headers: dict[str, str], audience_id: str) -> Any:
    template = client.post(
        "/v1/templates",
        headers=headers,
        json={"name": "t", "parts": {"subject": "Hi {{ first_name }}", "html": HTML}},
    ).json()
    return client.post(
        "/v1/jobs",
        headers=headers,
        json={"name": "r", "audience_id": audience_id, "template_id": template["id"]},
    )


def test_upload_answers_202_importing_then_ready_with_the_summary(api: Api) -> None:
    client, a, b = api
    resp = _upload(client, a, CSV.encode())
    assert resp.status_code == 202, resp.text
    audience = resp.json()
    assert audience["job_id"] and audience["reused"] is False
    assert audience["state"] in ("importing", "ready")
    if audience["state"] == "importing":
        assert all(audience[field] is None for field in SUMMARY)
    _wait(client, audience["job_id"])
    ready = client.get(f"/v1/audiences/{audience['id']}", headers=a).json()
    assert ready["state"] == "ready" and ready["error"] is None
    assert (ready["rows_read"], ready["accepted"], ready["rejected"]) == (3, 2, 1)
    assert sum(ready["rejected_by_code"].values()) == 1
    assert ready["headers"] == ["email", "first_name", "city", "locale", "consent"]
    job = client.get(f"/v1/jobs/{audience['job_id']}", headers=a).json()
    assert (job["kind"], job["state"]) == ("audiences.import", "done")
    assert job["report"]["accepted"] == 2
    # the same file again is the same audience; another workspace sees neither
    again = _upload(client, a, CSV.encode()).json()
    assert (again["id"], again["reused"], again["state"]) == (audience["id"], True, "ready")
    assert client.get(f"/v1/audiences/{audience['id']}", headers=b).status_code == 404
    assert client.get(f"/v1/jobs/{audience['job_id']}", headers=b).status_code == 404
    # the uploaded file is gone once imported: the audience holds its rows
    uploads = client.app.state.brandloom.settings.uploads_dir  # type: ignore[attr-defined]
    assert not [p for p in uploads.rglob("*") if p.is_file()]


def test_wait_true_keeps_the_synchronous_201_summary(api: Api) -> None:
    client, a, _ = api
    resp = client.post(
        "/v1/audiences?wait=true", headers=a, files={"file": ("c.csv", CSV.encode(), "text/csv")}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["state"] == "ready" and (body["rows_read"], body["accepted"]) == (3, 2)
    bad = client.post(
        "/v1/audiences?wait=true", headers=a, files={"file": ("c.csv", b"", "text/csv")}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"].startswith("audience.")


def test_a_file_that_cannot_be_imported_fails_the_audience_with_the_reason(api: Api) -> None:
    client, a, _ = api
    resp = _upload(client, a, b"", name="empty.csv")
    assert resp.status_code == 202, resp.text
    audience = resp.json()
    _wait(client, audience["job_id"])
    failed = client.get(f"/v1/audiences/{audience['id']}", headers=a).json()
    assert failed["state"] == "failed" and failed["error"]
    assert all(failed[field] is None for field in SUMMARY)
    job = client.get(f"/v1/jobs/{audience['job_id']}", headers=a).json()
    assert job["state"] == "failed" and job["error"] == failed["error"]
    # a render job asked for on the failed audience is refused at once
    refused = _render(client, a, audience["id"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == (
        "audience.import_failed"
    )


def _hold_executor_lane(client: TestClient, kind: str) -> Any:
    """Block the executor's lane for ``kind`` until the returned event is set."""
    import threading

    gate = threading.Event()
    executor = client.app.state.brandloom.executor  # type: ignore[attr-defined]
    executor._lane(kind).submit(gate.wait, 30)
    return gate


def test_a_render_job_on_an_importing_audience_waits_for_the_import(api: Api) -> None:
    client, a, _ = api
    gate = _hold_executor_lane(client, "audiences.import")
    audience = _upload(client, a, CSV.encode()).json()
    assert audience["state"] == "importing"
    created = _render(client, a, audience["id"])
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["state"] == "queued" and job["progress"]["chunks_total"] == 0
    gate.set()
    _wait(client, job["id"])
    done = client.get(f"/v1/jobs/{job['id']}", headers=a).json()
    assert done["state"] == "done", done
    assert done["report"]["documents"] == {"html": 2, "txt": 2}


def test_a_render_job_waiting_for_a_failing_import_fails_with_its_error(api: Api) -> None:
    client, a, _ = api
    gate = _hold_executor_lane(client, "audiences.import")
    audience = _upload(client, a, b"\x00\x01 not a table", name="broken.csv").json()
    job = _render(client, a, audience["id"]).json()
    gate.set()
    _wait(client, job["id"])
    failed_audience = client.get(f"/v1/audiences/{audience['id']}", headers=a).json()
    assert failed_audience["state"] == "failed"
    failed = client.get(f"/v1/jobs/{job['id']}", headers=a).json()
    assert failed["state"] == "failed"
    assert failed_audience["error"] in failed["error"]


def test_render_variables_are_checked_once_the_import_is_done(api: Api) -> None:
    client, a, _ = api
    gate = _hold_executor_lane(client, "audiences.import")
    audience = _upload(client, a, CSV.encode()).json()
    template = client.post(
        "/v1/templates",
        headers=a,
        json={"name": "t", "parts": {"subject": "Hi {{ loyalty_tier }}", "html": HTML}},
    ).json()
    job = client.post(
        "/v1/jobs",
        headers=a,
        json={"name": "r", "audience_id": audience["id"], "template_id": template["id"]},
    ).json()
    gate.set()
    _wait(client, job["id"])
    failed = client.get(f"/v1/jobs/{job['id']}", headers=a).json()
    assert failed["state"] == "failed" and "loyalty_tier" in failed["error"]


def test_invalid_transitions_answer_409_and_repeats_are_no_ops(api: Api) -> None:
    client, a, _ = api
    audience = client.post(
        "/v1/audiences?wait=true", headers=a, files={"file": ("c.csv", CSV.encode(), "text/csv")}
    ).json()
    job = _render(client, a, audience["id"]).json()
    _wait(client, job["id"])
    for action in ("pause", "resume"):
        resp = client.post(f"/v1/jobs/{job['id']}/{action}", headers=a)
        assert resp.status_code == 409, (action, resp.text)
        assert resp.json()["error"]["code"] == "job.invalid_transition"
    cancel = client.post(f"/v1/jobs/{job['id']}/cancel", headers=a)
    assert cancel.status_code == 409


def test_cancelling_a_cancelled_job_changes_nothing(api: Api) -> None:
    client, a, _ = api
    gate = _hold_executor_lane(client, "audiences.import")
    audience = _upload(client, a, CSV.encode()).json()
    job = _render(client, a, audience["id"]).json()  # queued: waits for the import
    try:
        first = client.post(f"/v1/jobs/{job['id']}/cancel", headers=a)
        assert first.status_code == 200 and first.json()["state"] == "cancelled"
        again = client.post(f"/v1/jobs/{job['id']}/cancel", headers=a)
        assert again.status_code == 200 and again.json() == first.json()
        pause = client.post(f"/v1/jobs/{job['id']}/pause", headers=a)
        assert pause.status_code == 409
    finally:
        gate.set()
    _wait(client, audience["job_id"])
    assert client.get(f"/v1/jobs/{job['id']}", headers=a).json()["state"] == "cancelled"


def test_an_import_job_has_no_documents(api: Api) -> None:
    client, a, _ = api
    audience = _upload(client, a, CSV.encode()).json()
    _wait(client, audience["job_id"])
    resp = client.get(f"/v1/jobs/{audience['job_id']}/archive", headers=a)
    assert resp.status_code in (404, 409)


def test_status_polls_are_answered_while_an_import_runs(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import runs off the event loop: with the import held in the middle of its rows,
    /healthz and the job's status still answer (they used to wait for the whole import)."""
    import threading

    from brandloom.audiences import kind as import_kind

    client, a, _ = api
    holding, release = threading.Event(), threading.Event()
    fill = import_kind.fill_audience

    def held_fill(*args: Any, **kwargs: Any) -> None:
        holding.set()
        assert release.wait(60), "the test never released the import"
        fill(*args, **kwargs)

    monkeypatch.setattr(import_kind, "fill_audience", held_fill)
    safety = threading.Timer(60, release.set)  # a blocked event loop fails the test, not the run
    safety.start()
    try:
        audience = _upload(client, a, CSV.encode()).json()
        assert holding.wait(60)
        assert client.get("/healthz").status_code == 200
        polled = client.get(f"/v1/jobs/{audience['job_id']}", headers=a).json()
        assert not release.is_set(), "answered only after the import was let go"
        assert polled["state"] == "running"
        assert client.get(f"/v1/audiences/{audience['id']}", headers=a).json()["state"] == (
            "importing"
        )
    finally:
        release.set()
        safety.cancel()
    _wait(client, audience["job_id"])
    assert client.get(f"/v1/audiences/{audience['id']}", headers=a).json()["state"] == "ready"


GERMAN = (
    "E-Mail;Vorname;Umsatz;Letzter Einkauf;Tags\r\n"
    'ann@example.com;Änne;1.234,50;03.02.2026;"[""vip""]"\r\n'
    "bob@example.com;Bob;1234.50;04.02.2026;[]\r\n"
)


def test_types_and_locale_are_import_options_and_survive_the_database(api: Api) -> None:
    client, a, _ = api
    resp = client.post(
        "/v1/audiences",
        headers=a,
        files={"file": ("kunden.csv", GERMAN.encode("cp1252"), "text/csv")},
        data={
            "types": '{"umsatz": "decimal", "letzter_einkauf": "date", "tags": "json"}',
            "locale": "de-DE",
        },
    )
    assert resp.status_code == 202, resp.text
    audience = resp.json()
    _wait(client, audience["job_id"])
    ready = client.get(f"/v1/audiences/{audience['id']}", headers=a).json()
    assert ready["types"] == {"umsatz": "decimal", "letzter_einkauf": "date", "tags": "json"}
    assert (ready["accepted"], ready["rejected_by_code"]) == (1, {"field.type": 1})
    rejects = client.get(f"/v1/audiences/{audience['id']}/rejects", headers=a).json()
    assert "'1234.50' is not a number like 1.234,50 (de-DE)" in rejects["items"][0]["reason"]
    template = client.post(
        "/v1/templates",
        headers=a,
        json={
            "name": "t",
            "parts": {
                "subject": "Hallo",
                "text": "{{ umsatz | currency('EUR') }}|{{ letzter_einkauf | date('long') }}|"
                "{{ tags | join(',') }}",
            },
        },
    ).json()
    shown = client.post(
        f"/v1/templates/{template['id']}/preview",
        headers=a,
        json={
            "audience_id": audience["id"],
            "key": "ann@example.com",
            "options": {"name": "p", "locale": "de-DE", "outputs": ["txt"]},
        },
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["parts"]["text"].strip() == "1.234,50\xa0€|3. Februar 2026|vip"
    assert shown.json()["qa"]["status"] == "pass"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"types": '{"umsatz": "money"}'}, "unknown type 'money'"),
        ({"types": "[1]"}, "types: must be a JSON object"),
        ({"types": '{"umsatz": "decimal"}', "locale": "xx-QQ"}, "xx-QQ"),
        ({"date_format": "dd.MMM.yyyy"}, "date_format"),
    ],
)
def test_bad_type_options_answer_422(api: Api, data: dict[str, str], needle: str) -> None:
    client, a, _ = api
    resp = client.post(
        "/v1/audiences",
        headers=a,
        files={"file": ("kunden.csv", GERMAN.encode("cp1252"), "text/csv")},
        data=data,
    )
    assert resp.status_code == 422, resp.text
    assert needle in resp.json()["error"]["message"]
