"""``brandloom generate --out s3://...``: CLI jobs written into a bucket, here or on workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from brandloom.settings import Settings
from brandloom.storage import download_tree, open_location
from tests.factories import contacts, tree_bytes, write_csv, write_spec
from tests.storage.conftest import SECRET_KEY

BRANDLOOM = [sys.executable, "-m", "brandloom.cli.app"]


def _env(settings: Settings, database_url: str, tmp_path: Path) -> dict[str, str]:
    assert settings.s3_endpoint_url and settings.s3_access_key_id
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRANDLOOM_")},
        "BRANDLOOM_DATABASE_URL": database_url,
        "BRANDLOOM_DATA_DIR": str(tmp_path / "data"),
        "BRANDLOOM_S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "BRANDLOOM_S3_ACCESS_KEY_ID": settings.s3_access_key_id,
        "BRANDLOOM_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "BRANDLOOM_S3_ALLOW_HTTP": "true",
    }


def _generate(env: dict[str, str], spec: Path, out: str, *extra: str) -> str:
    done = subprocess.run(
        [*BRANDLOOM, "generate", str(spec), "--out", out, "-j", "2", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _inputs(tmp_path: Path, count: int, **spec: object) -> Path:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(count))
    return write_spec(inputs, **spec)


def _bucket_tree(location: str, settings: Settings, into: Path) -> dict[str, bytes]:
    download_tree(open_location(location, settings), into)
    return tree_bytes(into)


def test_generate_into_a_bucket_writes_what_a_local_run_writes(
    s3_settings: Settings, s3_bucket: str, database_url: str, tmp_path: Path
) -> None:
    spec = _inputs(tmp_path, 300, chunk_size=40)
    env = _env(s3_settings, database_url, tmp_path)
    local = tmp_path / "local"
    _generate(env, spec, str(local))

    location = f"s3://{s3_bucket}/campaigns/spring"
    shown = _generate(env, spec, location + "/")
    assert location in shown
    remote = _bucket_tree(location, s3_settings, tmp_path / "downloaded")
    assert remote == tree_bytes(local)
    assert "manifest.jsonl" in remote
    assert sum(name.startswith("html/") for name in remote) == 300

    # A finished job's location takes a new run with --force (refused without), and --resume
    # of the finished one is a no-op.
    _generate(env, spec, location, "--force")
    _generate(env, spec, location, "--resume")
    again = _bucket_tree(location, s3_settings, tmp_path / "again")
    assert again == remote


def test_a_bucket_location_with_credentials_is_refused(
    s3_settings: Settings, database_url: str, tmp_path: Path
) -> None:
    spec = _inputs(tmp_path, 5)
    done = subprocess.run(
        [*BRANDLOOM, "generate", str(spec), "--out", "s3://key:hunter2@bucket/x"],
        env=_env(s3_settings, database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "BRANDLOOM_S3_ACCESS_KEY_ID" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


@pytest.mark.slow
def test_workers_write_a_cli_job_into_the_bucket(
    s3_settings: Settings, s3_bucket: str, database_url: str, tmp_path: Path
) -> None:
    """Workers that share no folder with the CLI: the bucket is where the job lands."""
    from tests.workers.test_distributed import REDIS_URL, Cluster

    if not REDIS_URL:
        pytest.skip("BRANDLOOM_TEST_REDIS_URL is not set")
    spec = _inputs(tmp_path, 1000, chunk_size=100)
    env = _env(s3_settings, database_url, tmp_path)
    local = tmp_path / "local"
    _generate(env, spec, str(local))  # in-process reference run

    cluster = Cluster(database_url, tmp_path / "cluster-data")
    try:
        for name in ("BRANDLOOM_S3_ENDPOINT_URL", "BRANDLOOM_S3_ACCESS_KEY_ID"):
            cluster.env[name] = env[name]
        cluster.env["BRANDLOOM_S3_SECRET_ACCESS_KEY"] = SECRET_KEY
        cluster.env["BRANDLOOM_S3_ALLOW_HTTP"] = "true"
        cluster.start_worker(concurrency=2)
        cluster.wait_for_workers(1)
        location = f"s3://{s3_bucket}/distributed"
        followed = cluster.cli("generate", str(spec), "--out", location)
        assert followed.returncode == 0, followed.stderr
    finally:
        cluster.close()
    remote = _bucket_tree(location, s3_settings, tmp_path / "downloaded")
    assert remote == tree_bytes(local)
