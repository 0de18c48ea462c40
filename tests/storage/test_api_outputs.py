"""API jobs with ``storage_url=s3://...``: rendered on workers into the bucket, served from it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from brandloom.api.app import create_app
from brandloom.db.base import utcnow
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs.models import Job
from brandloom.jobs.service import purge_expired_outputs
from brandloom.settings import Settings, get_settings
from brandloom.storage import download_tree, open_location
from brandloom.workspaces.service import create_workspace
from tests.factories import HTML, contacts, tree_bytes

CSV = (
    "email,first_name,city,locale,consent\n"
    + "".join(",".join(row) + "\n" for row in contacts(25))
    + "not-an-email,X,Y,en-US,yes\n"
)


@pytest.fixture
def storage_env(monkeypatch: pytest.MonkeyPatch, s3_settings: Settings) -> Iterator[Settings]:
    """The S3 settings as workers see them: in the environment (spawned workers inherit it)."""
    assert s3_settings.s3_secret_access_key is not None
    values = {
        "BRANDLOOM_STORAGE_URL": s3_settings.storage_url,
        "BRANDLOOM_S3_ENDPOINT_URL": s3_settings.s3_endpoint_url,
        "BRANDLOOM_S3_ACCESS_KEY_ID": s3_settings.s3_access_key_id,
        "BRANDLOOM_S3_SECRET_ACCESS_KEY": s3_settings.s3_secret_access_key.get_secret_value(),
        "BRANDLOOM_S3_ALLOW_HTTP": "true",
    }
    for name, value in values.items():
        assert value is not None
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield s3_settings
    get_settings.cache_clear()


def _run_job(settings: Settings, database_url: str, sink: str, workers: int) -> dict[str, Any]:
    """Upload, template, job, wait; returns the job, one document and the archive."""
    app = create_app(settings, workers=workers)
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        key = create_workspace(session, name=f"ws-{sink}-{workers}").api_key
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        audience = client.post(
            "/v1/audiences",
            headers=headers,
            files={"file": ("contacts.csv", CSV.encode(), "text/csv")},
            data={"key": "email"},
        ).json()
        template = client.post(
            "/v1/templates",
            headers=headers,
            json={"name": "welcome", "parts": {"subject": "Hi {{ first_name }}", "html": HTML}},
        ).json()
        created = client.post(
            "/v1/jobs",
            headers=headers,
            json={
                "name": "bucket-job",
                "audience_id": audience["id"],
                "template_id": template["id"],
                "outputs": ["html", "txt"],
                "sink": sink,
                "chunk_size": 10,
                "seed": 5,
            },
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        client.app.state.brandloom.executor.wait(job_id, timeout=300)  # type: ignore[attr-defined]
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        document = client.get(
            f"/v1/jobs/{job_id}/documents/user000007@example.com/html", headers=headers
        )
        archive = client.get(f"/v1/jobs/{job_id}/archive", headers=headers)
    with unit_of_work(factory) as session:
        row = session.get(Job, job_id)
        assert row is not None
        out_dir = row.out_dir
    return {"job": job, "document": document, "archive": archive, "out_dir": out_dir}


@pytest.mark.parametrize("sink", ["dir", "zip", "jsonl"])
def test_api_job_outputs_in_a_bucket_match_local_outputs(
    database_url: str, tmp_path: Path, storage_env: Settings, sink: str
) -> None:
    bucket = storage_env.model_copy(
        update={"data_dir": tmp_path / "bucket-data", "database_url": database_url}
    )
    remote = _run_job(bucket, database_url, sink, workers=2)
    assert remote["job"]["state"] == "done", remote["job"]
    assert remote["job"]["report"]["documents"] == {"html": 25, "txt": 25}
    assert remote["out_dir"] == f"{storage_env.storage_url}/jobs/{remote['job']['id']}"
    assert not (tmp_path / "bucket-data" / "jobs").exists()

    document = remote["document"]
    assert document.status_code == 200, document.text
    assert document.headers["content-type"].startswith("text/html")
    assert "Name7" in document.text
    assert remote["archive"].status_code == 200
    names = zipfile.ZipFile(io.BytesIO(remote["archive"].content)).namelist()
    if sink == "zip":
        assert "html/user000007@example.com.html" in names
    else:
        assert {"manifest.jsonl", "report.json", "rejected.csv"} <= set(names)
        assert not any(name.startswith(".brandloom") for name in names)

    # The same job rendered to the local data dir gives the same files, byte for byte.
    get_settings.cache_clear()
    with pytest.MonkeyPatch.context() as env:
        env.delenv("BRANDLOOM_STORAGE_URL")
        local = Settings(data_dir=tmp_path / "local-data", database_url=database_url)
        reference = _run_job(local, database_url, sink, workers=1)
    get_settings.cache_clear()
    assert reference["out_dir"] == str(tmp_path / "local-data" / "jobs" / reference["job"]["id"])
    assert reference["document"].content == document.content

    store = open_location(remote["out_dir"], storage_env)
    assert not list(store.list(".brandloom/parts"))
    download_tree(store, tmp_path / "downloaded")
    expected = tree_bytes(Path(reference["out_dir"]))
    assert expected and tree_bytes(tmp_path / "downloaded") == expected


def test_expired_outputs_in_a_bucket_are_purged(
    database_url: str, tmp_path: Path, storage_env: Settings
) -> None:
    settings = storage_env.model_copy(
        update={"data_dir": tmp_path / "data", "database_url": database_url}
    )
    first = _run_job(settings, database_url, "dir", workers=1)
    second = _run_job(settings, database_url, "jsonl", workers=1)
    old = open_location(first["out_dir"], settings)
    kept = open_location(second["out_dir"], settings)
    assert not old.is_empty() and not kept.is_empty()

    def purge(session: Session) -> int:
        return purge_expired_outputs(
            session, jobs_dir=settings.jobs_dir, retention_days=30, settings=settings
        )

    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:
        assert purge(session) == 0
        row = session.get(Job, first["job"]["id"])
        assert row is not None
        row.finished_at = utcnow() - timedelta(days=31)
    with unit_of_work(factory) as session:
        assert purge(session) == 1
        assert purge(session) == 0  # already gone
    assert old.is_empty()
    assert not kept.is_empty() and kept.exists("documents.jsonl")
