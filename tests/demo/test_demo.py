"""The bundled demo: one catalog per language, a brand with a kit, rendered end to end."""

from __future__ import annotations

import email
import email.policy
import io
import json
from pathlib import Path

import docx
import pypdf
import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from brandloom.brands.kit import load_kit_file
from brandloom.cli.generate import generate
from brandloom.db.engine import unit_of_work
from brandloom.demo.brand import save_demo_brand
from brandloom.demo.data import BRAND, MESSAGES, write_demo
from brandloom.workspaces.models import Workspace

pytestmark = pytest.mark.usefixtures("default_workspace")


def _subject(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message["Subject"])


def test_the_demo_spec_reads_its_copy_from_catalogs(tmp_path: Path) -> None:
    spec = yaml.safe_load(write_demo(tmp_path, count=10).read_text(encoding="utf-8"))
    template = spec["template"]
    assert template["messages"] == {lang: f"messages/{lang}.yaml" for lang in MESSAGES}
    parts = [v for k, v in template.items() if isinstance(v, str)]
    parts.append((tmp_path / "email.html").read_text(encoding="utf-8"))
    assert not any("{% set" in part for part in parts)  # no copy pasted into the parts
    for lang, messages in MESSAGES.items():
        on_disk = yaml.safe_load((tmp_path / "messages" / f"{lang}.yaml").read_text("utf-8"))
        assert on_disk == messages


def test_the_demo_brand_is_stored_from_its_files_and_again_without_error(
    factory: sessionmaker[Session], tmp_path: Path, default_workspace: Workspace
) -> None:
    spec = yaml.safe_load(write_demo(tmp_path, count=10).read_text(encoding="utf-8"))
    assert spec["brand"] == BRAND
    kit, logo = load_kit_file(tmp_path / "kit.yaml")
    assert logo is not None and logo.media_type == "image/png" and kit.address
    for _ in range(2):  # a second demo brings the brand up to date
        with unit_of_work(factory) as session:
            brand = save_demo_brand(session, session.merge(default_workspace), folder=tmp_path)
            assert brand.name == BRAND and brand.logo == logo.data
            assert brand.guidelines_version == 1


def test_the_demo_renders_every_contact_in_its_language(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path,
    default_workspace: Workspace,
) -> None:  # fmt: skip
    with unit_of_work(factory) as session:
        save_demo_brand(session, session.merge(default_workspace))  # the shipped files
    spec = write_demo(tmp_path / "inputs", count=40)
    out = tmp_path / "documents"
    result = generate(
        factory,
        database_url=database_url,
        workspace_name=None,
        spec_path=spec,
        out_dir=out,
        workers=1,
    )
    report = result.report
    assert report["locales"] == {lang: 4 for lang in sorted(MESSAGES)}
    assert set(report["qa"]["by_code"]) == {"consent.missing"}  # the demo's no-consent rows
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    by_locale = {m["locale"]: m for m in manifest if m["qa"]["status"] == "pass"}
    de = (out / by_locale["de"]["files"]["txt"]).read_text(encoding="utf-8")
    assert "Abmelden" in de and "Punkte" in de
    ja = _subject(out / by_locale["ja"]["files"]["eml"])
    assert "様、" in ja or ja.endswith("?")  # the ja subject override, or the question variant
    html = (out / by_locale["ar"]["files"]["html"]).read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and "إلغاء الاشتراك" in html

    # the brand's layout: the e-mail's logo and footer, the letter on its letterhead
    assert 'alt="Lumen &amp; Loom Coffee"' in html and "Amtsgericht Berlin-Charlottenburg" in html
    en = by_locale["en"]["files"]
    message = email.message_from_bytes((out / en["eml"]).read_bytes(), policy=email.policy.default)
    assert "image/png" in [part.get_content_type() for part in message.walk()]
    reader = pypdf.PdfReader(io.BytesIO((out / en["pdf"]).read_bytes()))
    letter = " ".join(reader.pages[0].extract_text().split())
    assert "Hi " in letter and "Warm regards," in letter and "Mara Lind, Head Roaster" in letter
    assert "Lumen & Loom Coffee GmbH · Röstereiweg 1 · 10115 Berlin, Germany" in letter
    assert "November 2, 2026" in letter
    assert all(len(page.images.keys()) == 1 for page in reader.pages)
    word = docx.Document(io.BytesIO((out / en["docx"]).read_bytes()))
    assert word.sections[0].header.part.related_parts  # the logo
    assert "Warm regards," in "\n".join(p.text for p in word.paragraphs)
