"""The bundled demo: one catalog per language, rendered end to end."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli.generate import generate
from brandloom.demo.data import MESSAGES, write_demo

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


def test_the_demo_renders_every_contact_in_its_language(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
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
