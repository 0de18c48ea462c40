"""What a client is told when a document cannot be handed out, or a job fails."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
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
    "bob@example.com,Bob,Tokyo,ja-JP,no\n"
)
# "NotADirectoryError: ...", "KeyError", "[Errno 20]": what a user should never have to read.
PYTHON_NAMES = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Warning)\b|\[Errno")

Api = tuple[TestClient, dict[str, str], Settings]


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    app = create_app(settings, workers=1)
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        key = create_workspace(session, name="acme").api_key
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {key}"}, settings


def _submit(client: TestClient, headers: dict[str, str], **options: Any) -> str:
    audience = client.post(
        "/v1/audiences?wait=true",
        headers=headers,
        files={"file": ("contacts.csv", CSV.encode(), "text/csv")},
    ).json()
    template = client.post(
        "/v1/templates",
        headers=headers,
        json={"name": "t", "parts": {"subject": "Hi {{ first_name }}", "html": HTML}},
    ).json()
    created = client.post(
        "/v1/jobs",
        headers=headers,
        json={
            "name": "r",
            "audience_id": audience["id"],
            "template_id": template["id"],
            **options,
        },
    )
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


def _finished(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    client.app.state.brandloom.executor.wait(job_id, timeout=120)  # type: ignore[attr-defined]
    job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    return job


def test_a_document_that_failed_qa_answers_409_with_the_findings(api: Api) -> None:
    client, headers, _ = api
    job_id = _submit(client, headers, qa={"require_consent": True})
    assert _finished(client, headers, job_id)["state"] == "done"
    written = client.get(f"/v1/jobs/{job_id}/documents/ann@example.com/html", headers=headers)
    assert written.status_code == 200

    failed = client.get(f"/v1/jobs/{job_id}/documents/bob@example.com/html", headers=headers)
    assert failed.status_code == 409, failed.text
    error = failed.json()["error"]
    assert error["code"] == "document.qa_failed"
    assert "bob@example.com" in error["message"] and "consent.missing" in error["message"]
    assert error["details"]["key"] == "bob@example.com"
    qa = error["details"]["qa"]
    assert qa["status"] == "fail"
    assert [i["code"] for i in qa["issues"] if i["severity"] == "fail"] == ["consent.missing"]
    assert all(i["message"] for i in qa["issues"])
    # the same findings as the manifest's
    manifest = client.get(f"/v1/jobs/{job_id}/manifest", headers=headers).json()["items"]
    assert next(m["qa"] for m in manifest if m["key"] == "bob@example.com") == qa


def test_an_unknown_contact_answers_404_not_409(api: Api) -> None:
    client, headers, _ = api
    job_id = _submit(client, headers, qa={"require_consent": True})
    _finished(client, headers, job_id)
    unknown = client.get(f"/v1/jobs/{job_id}/documents/nobody@example.com/html", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "document.not_found"
    assert "nobody@example.com" in unknown.json()["error"]["message"]
    no_format = client.get(f"/v1/jobs/{job_id}/documents/ann@example.com/pdf", headers=headers)
    assert no_format.status_code == 404
    assert no_format.json()["error"]["code"] == "document.not_found"
    no_job = client.get("/v1/jobs/job_nope/documents/ann@example.com/html", headers=headers)
    assert no_job.status_code == 404 and no_job.json()["error"]["code"] == "job.not_found"


def _assert_failed_in_words(job: dict[str, Any], *, reason: str) -> None:
    assert job["state"] == "failed", job
    assert job["finished_at"] is not None
    assert datetime.fromisoformat(job["finished_at"]) >= datetime.fromisoformat(job["created_at"])
    assert reason in job["error"], job["error"]
    assert PYTHON_NAMES.search(job["error"]) is None, job["error"]


def test_a_job_that_cannot_write_its_outputs_fails_with_an_end_time_and_the_reason(
    api: Api,
) -> None:
    client, headers, settings = api
    # Something else occupies the folder the API writes job outputs to.
    shutil.rmtree(settings.jobs_dir, ignore_errors=True)
    settings.jobs_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.jobs_dir.write_text("not a folder", encoding="utf-8")
    job = _finished(client, headers, _submit(client, headers))
    _assert_failed_in_words(job, reason="not a directory")
    assert str(settings.jobs_dir) in job["error"]  # which file was in the way


def test_a_job_whose_report_cannot_be_written_fails_instead_of_running_on(api: Api) -> None:
    client, headers, settings = api
    gate = threading.Event()
    executor = client.app.state.brandloom.executor  # type: ignore[attr-defined]
    executor._lane("documents.render").submit(gate.wait, 30)  # hold the job until staged
    job_id = _submit(client, headers)
    # A folder where the job's report.json goes: rendering succeeds, finalizing cannot.
    (settings.jobs_dir / job_id / "report.json").mkdir(parents=True)
    gate.set()
    job = _finished(client, headers, job_id)
    _assert_failed_in_words(job, reason="finalize failed")
    assert "is a directory" in job["error"] and "report.json" in job["error"]
    assert job["report"] is None
