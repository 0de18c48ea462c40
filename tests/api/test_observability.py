"""The API's observability: request ids, latency histogram, /metrics, /readyz, access logs."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from brandloom.api.app import create_app
from brandloom.observability.logging import configure_logging
from brandloom.settings import Settings
from tests.api.test_api import _job, _keys, _template, _upload

REDIS_URL = os.environ.get("BRANDLOOM_TEST_REDIS_URL")


def _app(tmp_path: Path, **settings: Any) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path / "data", **settings), workers=1)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path)) as c:
        yield c


@pytest.fixture
def json_logs() -> Iterator[None]:
    """JSON logs for one test; the process's logging is put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    config = structlog.get_config()
    configure_logging(fmt="json", level="INFO")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


def _duration_count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("brandloom_http_request_duration_seconds_count", labels) or 0


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    sane = client.get("/healthz", headers={"X-Request-ID": "edge-01.ab_CD"})
    assert sane.headers["X-Request-ID"] == "edge-01.ab_CD"
    for bad in ("two words", "x" * 129, "semi;colon", ""):
        resp = client.get("/healthz", headers={"X-Request-ID": bad})
        rid = resp.headers["X-Request-ID"]
        assert rid != bad and len(rid) == 32 and int(rid, 16) >= 0
    first = client.get("/healthz").headers["X-Request-ID"]
    assert first != client.get("/healthz").headers["X-Request-ID"]
    # Error responses carry it too.
    assert (
        client.get("/v1/jobs/job_x", headers={"X-Request-ID": "r-401"}).headers["X-Request-ID"]
        == "r-401"
    )


def test_histogram_labels_use_route_templates(client: TestClient) -> None:
    jobs = _duration_count("GET", "/v1/jobs/{job_id}", "401")
    unmatched = _duration_count("GET", "<unmatched>", "404")
    not_allowed = _duration_count("DELETE", "/healthz", "405")
    invented = _duration_count("OTHER", "/healthz", "405")
    assert client.get("/v1/jobs/job_raw_path_123").status_code == 401
    assert client.get("/no/such/path").status_code == 404
    assert client.delete("/healthz").status_code == 405
    assert client.request("BREW", "/healthz").status_code == 405
    assert _duration_count("OTHER", "/healthz", "405") - invented == 1
    assert _duration_count("GET", "/v1/jobs/{job_id}", "401") - jobs == 1
    assert _duration_count("GET", "<unmatched>", "404") - unmatched == 1
    assert _duration_count("DELETE", "/healthz", "405") - not_allowed == 1
    text = client.get("/metrics").text
    assert "job_raw_path_123" not in text and "/no/such/path" not in text


def test_metrics_endpoint_reports_jobs_by_state(database_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url), workers=1)
    key_a, _ = _keys(database_url)
    headers = {"Authorization": f"Bearer {key_a}"}
    with TestClient(app) as client:
        resp = client.get("/metrics")
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/plain")
        before = _samples(resp.text, "brandloom_jobs")
        assert before == {
            f'brandloom_jobs{{state="{s}"}}': 0.0
            for s in ("cancelled", "done", "failed", "paused", "queued", "running")
        }
        job = _job(
            client, headers, _upload(client, headers)["id"], _template(client, headers)["id"]
        )
        assert job["state"] == "done"
        after = _samples(client.get("/metrics").text, "brandloom_jobs")
        assert after['brandloom_jobs{state="done"}'] == 1.0
        assert after['brandloom_jobs{state="queued"}'] == 0.0
        assert "# TYPE brandloom_http_request_duration_seconds histogram" in resp.text
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def _samples(text: str, name: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


def test_many_apps_in_one_process_expose_one_jobs_family(tmp_path: Path) -> None:
    first = _app(tmp_path / "one")
    second = _app(tmp_path / "two")
    with TestClient(first), TestClient(second) as client:
        text = client.get("/metrics").text
        assert text.count("# TYPE brandloom_jobs gauge") == 1
        assert len(_samples(text, "brandloom_jobs")) == 6


def test_readyz_ok_embedded(client: TestClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "disabled", "cache": "local"},
    }
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_broker_down_is_unavailable(tmp_path: Path) -> None:
    app = _app(tmp_path, broker_url="redis://:s3cr3t@127.0.0.1:1/0")
    with TestClient(app) as client:
        resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "broker": "down", "cache": "local"}
    assert body["reasons"]["broker"]
    assert "s3cr3t" not in resp.text


def test_readyz_cache_down_is_degraded(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, redis_url="redis://127.0.0.1:1/0")) as client:
        resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "broker": "disabled", "cache": "down"}


@pytest.mark.skipif(not REDIS_URL, reason="BRANDLOOM_TEST_REDIS_URL is not set")
def test_readyz_with_redis_broker_and_cache(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, broker_url=REDIS_URL, redis_url=REDIS_URL)) as client:
        resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok"},
    }


@pytest.mark.usefixtures("json_logs")
def test_access_log_and_unhandled_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(tmp_path)

    @app.get("/test/tenant/{name}")
    def tenant(name: str, request: Request) -> dict[str, str]:
        request.state.workspace_id = "ws_test"
        structlog.stdlib.get_logger("brandloom.test").info("inside", contact_email=name)
        return {"ok": name}

    @app.get("/test/boom")
    def boom() -> None:
        raise RuntimeError("broken with postgresql://app:s3cr3t@db/x")

    with TestClient(app) as client:
        capsys.readouterr()
        ok = client.get("/test/tenant/ann@example.com", headers={"X-Request-ID": "req-ok"})
        assert ok.status_code == 200
        failed = client.get("/test/boom", headers={"X-Request-ID": "req-boom"})
    assert failed.status_code == 500
    assert failed.json() == {
        "error": {"code": "internal_error", "message": "internal server error"}
    }
    assert failed.headers["X-Request-ID"] == "req-boom"

    err = capsys.readouterr().err
    assert "s3cr3t" not in err and "ann@example.com" not in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    inside = next(line for line in lines if line["event"] == "inside")
    assert inside["request_id"] == "req-ok" and inside["contact_email"] == "***@example.com"
    access = [line for line in lines if line["event"] == "http.request"]
    assert [(a["request_id"], a["status"]) for a in access] == [("req-ok", 200), ("req-boom", 500)]
    assert access[0]["route"] == "/test/tenant/{name}" and access[0]["method"] == "GET"
    assert access[0]["workspace_id"] == "ws_test" and "workspace_id" not in access[1]
    assert isinstance(access[0]["duration_ms"], float) and access[0]["logger"] == "brandloom.access"
    error = next(line for line in lines if line["event"] == "http.unhandled_error")
    assert error["request_id"] == "req-boom" and "RuntimeError" in error["exception"]


@pytest.mark.usefixtures("json_logs")
def test_without_the_access_log_only_server_errors_are_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(tmp_path, access_log=False)

    @app.get("/test/boom")
    def boom() -> None:
        raise RuntimeError("broken")

    with TestClient(app) as client:
        capsys.readouterr()
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/jobs/job_x").status_code == 401
        assert client.get("/test/boom").status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line[:1] == "{"]
    access = [(a["route"], a["status"]) for a in lines if a["event"] == "http.request"]
    assert access == [("/test/boom", 500)]


@pytest.mark.skipif(not REDIS_URL, reason="BRANDLOOM_TEST_REDIS_URL is not set")
def test_metrics_with_a_broker_report_queue_depth_and_workers(tmp_path: Path) -> None:
    import redis

    from brandloom.db.base import utcnow
    from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
    from brandloom.workers.models import WorkerHeartbeat

    queue = f"brandloom-test-{uuid.uuid4().hex[:8]}"
    client_redis = redis.Redis.from_url(REDIS_URL or "")
    client_redis.rpush(queue, b"{}", b"{}", b"{}")
    try:
        app = _app(tmp_path, broker_url=REDIS_URL, broker_queue=queue)
        factory = make_session_factory(
            make_engine(f"sqlite:///{tmp_path / 'data' / 'brandloom.db'}")
        )
        with unit_of_work(factory) as session:
            now = utcnow()
            session.add(
                WorkerHeartbeat(
                    name="w1@host",
                    hostname="host",
                    pid=1,
                    concurrency=2,
                    started_at=now,
                    last_seen=now,
                )
            )
        with TestClient(app) as client:
            body = client.get("/metrics").text
    finally:
        client_redis.delete(queue)
        client_redis.close()
    assert f'brandloom_queue_depth{{queue="{queue}"}} 3.0' in body
    assert "brandloom_workers_alive 1.0" in body
    assert 'brandloom_worker_last_heartbeat_timestamp_seconds{worker="w1@host"}' in body
