"""The text-analysis QA checks in real bulk jobs: language_match and culture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli.generate import generate
from tests.factories import write_csv, write_spec

pytestmark = pytest.mark.usefixtures("default_workspace")

EN = {
    "subject": "Your spring picks are waiting, {first_name}",
    "body": "Hello {first_name}, our new spring collection has arrived. "
    "Discover light jackets and comfortable shoes for every day in {city}.",
}
DE = {
    "subject": "Ihre Frühlingsauswahl wartet, {first_name}",
    "body": "Hallo {first_name}, unsere neue Frühlingskollektion ist da. "
    "Entdecken Sie leichte Jacken und bequeme Schuhe für jeden Tag in {city}.",
}
HEADER = ["email", "first_name", "city", "locale", "consent"]


def _job(
    factory: sessionmaker[Session], url: str, tmp_path: Path, *, messages: dict[str, Any],
    qa: dict[str, Any], rows: list[list[str]],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:  # fmt: skip
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "contacts.csv", rows, header=HEADER)
    spec = write_spec(
        folder,
        template={"subject": "{{ t.subject }}", "text": "{{ t.body }}", "messages": messages},
        variants=[],
        outputs=["txt"],
        qa=qa,
    )
    out = tmp_path / "out"
    generate(factory, database_url=url, workspace_name=None, spec_path=spec, out_dir=out, workers=1)
    manifest = {
        m["key"]: m for m in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    return manifest, json.loads((out / "report.json").read_text())


def _codes(entry: dict[str, Any]) -> set[str]:
    return {issue["code"] for issue in entry["qa"]["issues"]}


ROWS = [
    ["anna@example.com", "Anna", "Berlin", "de-DE", "yes"],
    ["jo@example.com", "Jo", "Leeds", "en-GB", "yes"],
    ["lena@example.com", "Lena", "Wien", "de-AT", "yes"],
    ["sam@example.com", "Sam", "Boston", "en-US", "yes"],
]


def test_a_german_contact_getting_the_english_fallback_fails_language_match(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    manifest, report = _job(
        factory, database_url, tmp_path, messages={"en": EN}, qa={"language_match": True},
        rows=ROWS,
    )  # fmt: skip
    for key in ("anna@example.com", "lena@example.com"):
        assert manifest[key]["qa"]["status"] == "fail"
        issue = next(i for i in manifest[key]["qa"]["issues"] if i["code"] == "language.mismatch")
        assert "de-" in issue["message"] and "text: en" in issue["message"]
    for key in ("jo@example.com", "sam@example.com"):
        assert "language.mismatch" not in _codes(manifest[key])
    assert report["qa"]["by_code"]["language.mismatch"] == 2


def test_every_contact_in_its_own_language_passes(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    manifest, _ = _job(
        factory, database_url, tmp_path, messages={"en": EN, "de": DE},
        qa={"language_match": True}, rows=ROWS,
    )  # fmt: skip
    assert {key: _codes(m) for key, m in manifest.items()} == {key: set() for key in manifest}


def test_language_match_is_off_by_default(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    manifest, _ = _job(factory, database_url, tmp_path, messages={"en": EN}, qa={}, rows=ROWS)
    assert all("language.mismatch" not in _codes(m) for m in manifest.values())


def test_culture_warns_about_informal_german_and_us_amounts(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    informal = {
        "subject": "Deine Frühlingsauswahl wartet, {first_name}",
        "body": "Hallo {first_name}, hast du schon unsere neue Kollektion gesehen? "
        "Jacken ab $1,234.50 in {city}.",
    }
    manifest, report = _job(
        factory, database_url, tmp_path, messages={"de": informal},
        qa={"culture": True}, rows=ROWS[:1],
    )  # fmt: skip
    entry = manifest["anna@example.com"]
    codes = _codes(entry)
    assert "culture.formality" in codes
    assert codes & {"culture.currency_format", "culture.number_format"}
    assert entry["qa"]["status"] == "warn"  # culture findings warn, never fail by default
    assert report["qa"]["by_code"]["culture.formality"] >= 1
