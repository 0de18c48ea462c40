"""A real S3-compatible HTTP server (moto) on 127.0.0.1, and stores on it and on disk."""

from __future__ import annotations

import logging
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from brandloom.settings import Settings
from brandloom.storage import LocalStore, Store, open_location

ACCESS_KEY = "AKIATESTBRANDLOOM"
SECRET_KEY = "brandloom-test-secret-0123456789"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The endpoint URL of one moto S3 server for the whole session (each test has a bucket)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket."""
    name = f"brandloom-{secrets.token_hex(6)}"
    request = urllib.request.Request(f"{s3_endpoint}/{name}", method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    return name


@pytest.fixture
def s3_settings(s3_endpoint: str, s3_bucket: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        storage_url=f"s3://{s3_bucket}/brandloom",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id=ACCESS_KEY,
        s3_secret_access_key=SecretStr(SECRET_KEY),
        s3_allow_http=True,
    )


@pytest.fixture
def s3_store(s3_settings: Settings) -> Store:
    assert s3_settings.storage_url is not None
    return open_location(f"{s3_settings.storage_url}/store-test", s3_settings)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The same tests on both stores."""
    if request.param == "local":
        return LocalStore(tmp_path / "local-store")
    s3: Store = request.getfixturevalue("s3_store")
    return s3
