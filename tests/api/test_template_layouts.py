"""A typst layout and its assets through the API: uploaded as files, stored, rendered by a job."""

from __future__ import annotations

import io

import pytest

from tests.api.test_lists_and_previews import Api
from tests.documents.test_formats_pdf_typst import LOGO, images_of

pypdf = pytest.importorskip("pypdf")

LETTER = b"""#set page(header: [#image("logo.png", width: 3cm) #h(1fr) Northwind])
= Hello {{ first_name }}
#table(columns: 2, [City], [{{ city }}])
"""


def test_a_layout_uploaded_with_its_logo_renders_in_a_job(api: Api) -> None:
    resp = api.client.post(
        "/v1/templates/files",
        headers=api.a,
        data={"name": "letter"},
        files=[
            ("typst", ("letter.typ", LETTER, "text/plain")),
            ("assets", ("logo.png", LOGO, "image/png")),
        ],
    )
    assert resp.status_code == 201, resp.text
    template = resp.json()
    assert template["parts"] == {"typst": LETTER.decode()}
    assert template["assets"] == ["logo.png"]
    assert api.client.get(f"/v1/templates/{template['id']}", headers=api.a).json()["assets"] == [
        "logo.png"
    ]

    audience = api.upload("letters")
    job = api.job("letters", audience["id"], template["id"], outputs=["pdf"])
    assert job["state"] == "done", job
    resp = api.client.get(f"/v1/jobs/{job['id']}/documents/bob@example.com/pdf", headers=api.a)
    assert resp.status_code == 200
    page = pypdf.PdfReader(io.BytesIO(resp.content)).pages[0]
    text = page.extract_text()
    assert "Hello <b>Bob</b>" in text and "City Tokyo" in text
    assert images_of(page) == [(120, 40)]


def test_assets_that_are_not_images_are_refused_naming_the_file(api: Api) -> None:
    def upload(*assets: tuple[str, bytes]) -> tuple[int, dict[str, str]]:
        files = [("typst", ("letter.typ", LETTER, "text/plain"))]
        files += [("assets", (name, data, "application/octet-stream")) for name, data in assets]
        resp = api.client.post(
            "/v1/templates/files", headers=api.a, data={"name": "bad"}, files=files
        )
        return resp.status_code, resp.json().get("error", {})

    status, error = upload(("logo.png", b"MZ\x90\x00"))
    assert status == 422 and error["code"] == "template.asset"
    assert "logo.png is not a PNG image" in error["message"]
    status, error = upload(("run.sh", b"#!/bin/sh"))
    assert status == 422 and "'run.sh' is not an image file name" in error["message"]
    status, error = upload(("logo.png", LOGO), ("logo.png", LOGO))
    assert status == 422 and "two files have the same name" in error["message"]
