"""A brand's kit on a real bulk job: ``brandloom generate`` with ``brand:`` in the spec."""

from __future__ import annotations

import email
import io
import json
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import lxml.html
import pypdf
import pytest
from sqlalchemy.orm import Session, sessionmaker

from brandloom.brands.kit import BrandKit, check_logo
from brandloom.brands.service import create_brand
from brandloom.cli.generate import generate
from brandloom.db.engine import unit_of_work
from brandloom.workspaces.models import Workspace
from tests.factories import tree_bytes, write_csv, write_spec

LOGO = (Path(__file__).resolve().parents[2] / "benchmarks" / "logo.png").read_bytes()
KIT = {
    "colors": {"primary": "#0A6E5C", "link": "#E76F51", "text": "#1D1D1B"},
    "font": "Noto Sans",
    "address": ["Lumen & Loom GmbH", "Torstraße 1", "<script>alert(1)</script>"],
    "legal_footer": ["Amtsgericht Berlin HRB 12345"],
}
HEADER = ["email", "first_name", "locale", "consent"]
ROWS = [
    ["anna@example.com", "Anna", "en-GB", "yes"],
    ["omar@example.com", "عمر", "ar-SA", "yes"],
]
PARTS = {
    "subject": "Autumn for {{ first_name }}",
    "text": "Hello {{ first_name }}",
    "html": '<h1>Hello {{ first_name }}</h1><p><a href="https://lumen.example/">Shop</a></p>',
    "markdown": "Dear {{ first_name }},\n\nthank you.\n\nWarm regards,\\\nThe roasters",
}

pytestmark = pytest.mark.usefixtures("default_workspace")


@pytest.fixture
def brand(factory: sessionmaker[Session], default_workspace: Workspace) -> str:
    with unit_of_work(factory) as session:
        create_brand(
            session, session.merge(default_workspace), name="Lumen & Loom",
            kit=BrandKit.model_validate(KIT), logo=check_logo(LOGO),
        )  # fmt: skip
    return "Lumen & Loom"


def _generate(
    factory: sessionmaker[Session], url: str, folder: Path, *, brand: str | None
) -> dict[str, dict[str, Any]]:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "contacts.csv", ROWS, header=HEADER)
    spec = write_spec(
        folder,
        template=PARTS,
        variants=[],
        outputs=["html", "eml", "pdf", "docx"],
        qa={},
        **({"brand": brand} if brand else {}),
    )
    out = folder / "out"
    generate(factory, database_url=url, workspace_name=None, spec_path=spec, out_dir=out, workers=1)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {m["key"]: m for m in map(json.loads, lines)}


def test_a_job_naming_a_brand_wears_its_kit_in_every_layout(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str
) -> None:
    manifest = _generate(factory, database_url, tmp_path / "branded", brand=brand)
    out = tmp_path / "branded" / "out"
    for key, entry in manifest.items():
        assert entry["qa"]["status"] == "pass", entry["qa"]
        files = entry["files"]
        page = (out / files["html"]).read_text(encoding="utf-8")
        [logo] = lxml.html.document_fromstring(page).xpath("//img")
        assert logo.get("alt") == "Lumen & Loom" and logo.get("src").startswith("data:image/png")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
        message = email.message_from_bytes((out / files["eml"]).read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
        html_part = message.get_body(("html",))
        assert html_part is not None
        assert f'src="cid:{str(image["Content-ID"]).strip("<>")}"' in html_part.get_content()
        reader = pypdf.PdfReader(io.BytesIO((out / files["pdf"]).read_bytes()))
        for pdf_page in reader.pages:
            text = " ".join(pdf_page.extract_text().split())
            assert "Lumen & Loom GmbH · Torstraße 1 · <script>alert(1)</script>" in text
            assert "Amtsgericht Berlin HRB 12345" in text
            assert len(pdf_page.images.keys()) == 1
        section = docx.Document(io.BytesIO((out / files["docx"]).read_bytes())).sections[0]
        assert [p.content_type for p in section.header.part.related_parts.values()] == ["image/png"]
        assert section.footer.paragraphs[-1].text == "Amtsgericht Berlin HRB 12345"
        if key == "omar@example.com":
            assert 'dir="rtl"' in page


def test_the_same_job_without_a_brand_is_unbranded_and_reruns_stay_identical(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str
) -> None:
    plain = _generate(factory, database_url, tmp_path / "plain", brand=None)
    out = tmp_path / "plain" / "out"
    for entry in plain.values():
        page = (out / entry["files"]["html"]).read_text(encoding="utf-8")
        assert "<img" not in page and "Lumen & Loom GmbH" not in page
        assert b"multipart/related" not in (out / entry["files"]["eml"]).read_bytes()
    _generate(factory, database_url, tmp_path / "branded", brand=brand)
    again = tmp_path / "again"
    again.mkdir()
    _generate(factory, database_url, again, brand=brand)
    assert tree_bytes(tmp_path / "branded" / "out") == tree_bytes(again / "out")
