"""Start-up recovery of in-process jobs, with one or several server processes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from brandloom.api.app import create_app
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs.models import Job
from brandloom.settings import Settings
from tests.api.test_api import _job, _keys, _template, _upload


def test_a_sibling_server_process_does_not_pause_running_jobs(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    key, _ = _keys(database_url)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings, workers=1)) as client:
        audience = _upload(client, headers)["id"]
        job = _job(client, headers, audience, _template(client, headers)["id"])
    factory = make_session_factory(make_engine(database_url))
    with unit_of_work(factory) as session:  # as if another server process were rendering it
        session.execute(update(Job).where(Job.id == job["id"]).values(state="running"))

    with TestClient(create_app(settings, workers=1, recover=False)) as client:
        assert client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["state"] == "running"
    with TestClient(create_app(settings, workers=1)) as client:  # a lone server restarting
        assert client.get(f"/v1/jobs/{job['id']}", headers=headers).json()["state"] == "paused"


def test_blocking_work_runs_on_the_configured_number_of_threads(tmp_path: Path) -> None:
    import anyio.to_thread

    app = create_app(Settings(data_dir=tmp_path / "data", api_threads=3), workers=1)

    @app.get("/test/threads")
    async def threads() -> int:
        return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    with TestClient(app) as client:
        assert client.get("/test/threads").json() == 3
