"""``/docs`` works offline: Swagger UI's files are served by the app itself, not a CDN."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from brandloom.api.app import SWAGGER_UI_DIR, create_app
from brandloom.settings import Settings

# What a browser accepts for each (Python's mimetypes answers either JavaScript type,
# depending on the version and the system's mime.types).
EXPECTED_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
    ".json": {"application/json"},
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'brandloom.db'}"
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=url), workers=1)
    with TestClient(app) as client:
        yield client


def _urls(html: str) -> list[str]:
    """Every URL the page loads or names: src/href attributes and quoted strings in scripts."""
    attributes = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    in_script = re.findall(r"""["']((?:https?:)?//[^"']+|/[^"'\s]*)["']""", html)
    return attributes + in_script


def test_docs_page_references_only_local_urls_that_answer(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = _urls(page.text)
    assert urls, page.text
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"/docs loads {url} from outside"
    loaded = [u for u in urls if Path(urlsplit(u).path).suffix in EXPECTED_TYPES]
    # the script, the stylesheet, the icon and the OpenAPI document
    assert {Path(u).suffix for u in loaded} == {".js", ".css", ".png", ".json"}
    for url in loaded:
        resp = client.get(url)
        assert resp.status_code == 200, url
        expected = EXPECTED_TYPES[Path(urlsplit(url).path).suffix]
        assert resp.headers["content-type"].split(";")[0] in expected, url
        assert resp.content, url
    script = client.get(next(u for u in loaded if u.endswith(".js"))).text
    assert "SwaggerUIBundle" in script
    # no validator badge fetched from validator.swagger.io
    assert '"validatorUrl": null' in page.text


def test_the_shipped_files_carry_their_license(client: TestClient) -> None:
    manifest = json.loads((SWAGGER_UI_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["package"] == "swagger-ui-dist" and manifest["license"] == "Apache-2.0"
    assert "Apache License" in (SWAGGER_UI_DIR / "LICENSE").read_text(encoding="utf-8")
    for name in manifest["files"]:
        assert (SWAGGER_UI_DIR / name).is_file(), name


def test_oauth2_redirect_is_served_and_redoc_is_off(client: TestClient) -> None:
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "oauth2" in redirect.text.lower()
    assert client.get("/redoc").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith("/docs") for p in paths)
