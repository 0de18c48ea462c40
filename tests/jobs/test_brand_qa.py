"""The brand checks in real bulk jobs: brand_rules (the guidelines as lint) and voice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from brandloom.analysis.guidelines import parse_guidelines
from brandloom.brands.library import LibraryText
from brandloom.brands.service import create_brand, import_texts, set_guidelines, train_voice
from brandloom.cli.generate import generate, validate
from brandloom.db.engine import unit_of_work
from brandloom.errors import BrandloomError
from brandloom.workspaces.models import Workspace
from tests.factories import write_csv, write_spec

GUIDELINES = {
    "brand_name": "Lumen & Loom",
    "banned_terms": ["guaranteed"],
    "glossary": {"cheap": "affordable"},
    "required_disclaimers": {"email": ["Terms apply."]},
    "formality": {"de": "formal"},
}
LIBRARY = [
    "Our linen throws are woven slowly, by hand, in small batches. Terms apply.",
    "Lumen & Loom makes calm, warm rooms: soft wool, natural dyes, quiet colours.",
    "Each cushion is stitched by our weavers in Porto and made to last for years.",
    "Take a breath. The autumn collection brings heavy knits and honey-coloured wool.",
    "We choose every fibre for its warmth and its story, then weave it with care.",
    "Your home, quieter: hand-loomed blankets in oat, moss and clay.",
    "From our looms to your sofa: a throw that gets softer every winter.",
    "Made slowly in Portugal from undyed wool, for rooms that feel like a deep breath.",
    "A gift that lasts: our hand-woven scarves in four calm colours. Terms apply.",
    "Lumen & Loom weavers finish every blanket by hand and sign the label.",
    "Soft light, soft wool. The winter edit is here, woven in small batches.",
    "We weave with care so your evenings feel warm and unhurried.",
]
HEADER = ["email", "first_name", "locale", "consent"]
ROWS = [
    ["anna@example.com", "Anna", "en-GB", "yes"],
    ["jo@example.com", "Jo", "en-US", "yes"],
]

pytestmark = pytest.mark.usefixtures("default_workspace")


@pytest.fixture
def brand(factory: sessionmaker[Session], default_workspace: Workspace) -> str:
    with unit_of_work(factory) as session:
        workspace = session.merge(default_workspace)
        created = create_brand(
            session, workspace, name="Lumen & Loom",
            guidelines=parse_guidelines(GUIDELINES, source="test"),
        )  # fmt: skip
        items = [
            LibraryText(position=i, text=t, channel=None, locale="en")
            for i, t in enumerate(LIBRARY, start=1)
        ]
        import_texts(session, workspace, brand=created, items=items, format="txt")
        train_voice(session, workspace, brand=created)
    return "Lumen & Loom"


def _job(
    factory: sessionmaker[Session], url: str, tmp_path: Path, *, body: str, qa: dict[str, Any],
    brand: str | None = "Lumen & Loom", name: str = "spring",
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:  # fmt: skip
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    write_csv(folder / "contacts.csv", ROWS, header=HEADER)
    extra = {"brand": brand} if brand else {}
    spec = write_spec(
        folder,
        name=name,
        template={"subject": "Hello {{ first_name }}", "text": body},
        variants=[],
        outputs=["txt"],
        qa=qa,
        **extra,
    )
    out = tmp_path / f"{name}-out"
    generate(factory, database_url=url, workspace_name=None, spec_path=spec, out_dir=out, workers=1)
    manifest = {
        m["key"]: m for m in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    return manifest, json.loads((out / "report.json").read_text())


def _codes(entry: dict[str, Any]) -> list[str]:
    return sorted(issue["code"] for issue in entry["qa"]["issues"])


def test_brand_rules_report_each_violation_per_document(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str
) -> None:
    manifest, report = _job(
        factory, database_url, tmp_path, qa={"brand_rules": True},
        body="Dear {{ first_name }}, cheap throws from lumen & loom, guaranteed.",
    )  # fmt: skip
    for entry in manifest.values():
        assert _codes(entry) == [
            "brand.banned_term",
            "brand.disclaimer_missing",
            "brand.glossary",
            "brand.name_casing",
        ]
        assert entry["qa"]["status"] == "fail"  # banned terms and missing disclaimers fail
        glossary = next(i for i in entry["qa"]["issues"] if i["code"] == "brand.glossary")
        assert "'cheap'" in glossary["message"] and "affordable" in glossary["message"]
    assert report["qa"]["by_code"]["brand.banned_term"] == 2


def test_on_brand_copy_passes_both_checks(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str
) -> None:
    manifest, _ = _job(
        factory, database_url, tmp_path,
        qa={"brand_rules": True, "voice": {"min_score": 40}},
        body="Dear {{ first_name }}, our weavers finish every wool throw by hand, in small "
        "batches, for calm and warm rooms. Terms apply.",
    )  # fmt: skip
    assert {key: _codes(m) for key, m in manifest.items()} == {key: [] for key in manifest}


def test_off_brand_copy_is_flagged_by_the_voice_check(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str
) -> None:
    manifest, _ = _job(
        factory, database_url, tmp_path,
        qa={"voice": {"brand": "Lumen & Loom", "min_score": 60, "fail_below": 30}},
        brand=None,
        body="OMG {{ first_name }}!!! MEGA GAMING DEALS 🎮🔥 grab ur loot crates NOW b4 "
        "they r gone",
    )  # fmt: skip
    for entry in manifest.values():
        (issue,) = entry["qa"]["issues"]
        assert issue["code"] in {"voice.below_min", "voice.below_fail"}
        assert "Lumen & Loom's voice" in issue["message"] and "weakest" in issue["message"]


def test_a_brand_without_guidelines_or_voice_is_refused_before_any_output(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path,
    default_workspace: Workspace,
) -> None:  # fmt: skip
    with unit_of_work(factory) as session:
        create_brand(session, session.merge(default_workspace), name="Bare")
    with pytest.raises(BrandloomError, match="no guidelines") as caught:
        _job(factory, database_url, tmp_path, qa={"brand_rules": True}, body="x", brand="Bare")
    assert caught.value.code == "brand.no_guidelines"
    with pytest.raises(BrandloomError, match="brandloom voice train 'Bare'"):
        _job(
            factory, database_url, tmp_path, qa={"voice": {"min_score": 50}}, body="x",
            brand="Bare", name="v",
        )  # fmt: skip
    with pytest.raises(BrandloomError, match="no brand named 'Nobody'"):
        _job(factory, database_url, tmp_path, qa={}, body="x", brand="Nobody", name="n")
    assert not (tmp_path / "spring-out" / "manifest.jsonl").exists()


def test_brand_rules_without_a_brand_is_a_spec_error(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    with pytest.raises(BrandloomError, match=r"qa\.brand_rules needs a brand"):
        _job(factory, database_url, tmp_path, qa={"brand_rules": True}, body="x", brand=None)


def test_a_job_keeps_the_guidelines_version_it_was_created_with(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str,
    default_workspace: Workspace,
) -> None:  # fmt: skip
    from brandloom.brands.service import find_brand
    from brandloom.documents.kind import recorded_brands
    from brandloom.jobs.repository import JobRepository

    _job(factory, database_url, tmp_path, qa={"brand_rules": True}, body="cheap. Terms apply.")
    with unit_of_work(factory) as session:
        workspace = session.merge(default_workspace)
        found = find_brand(session, workspace, name=brand)
        set_guidelines(
            session, workspace, brand=found,
            guidelines=parse_guidelines({"banned_terms": ["throws"]}, source="v2"),
        )  # fmt: skip
        job = JobRepository(session, workspace).latest_for_out_dir(str(tmp_path / "spring-out"))
        assert job is not None
        loaded = recorded_brands(session, workspace, job.params["brands"]).checks[brand]
        assert loaded.guidelines_version == 1
        assert loaded.guidelines is not None and loaded.guidelines.terms_for("en") == ["guaranteed"]
        # the kit is kept with the job too: a new palette does not reach a resumed job
        from brandloom.brands.kit import parse_kit
        from brandloom.brands.service import set_kit

        set_kit(session, workspace, brand=found, kit=parse_kit({"colors": {"primary": "#FF0000"}}))
        layout = recorded_brands(
            session, workspace, job.params["brands"], layout_brand=brand
        ).layout
        assert layout is not None and "primary" not in layout.colors


def test_validate_previews_run_the_brand_checks(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, brand: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from brandloom.documents.flows import live_brands

    folder = tmp_path / "v"
    folder.mkdir()
    write_csv(folder / "contacts.csv", ROWS, header=HEADER)
    spec = write_spec(
        folder, template={"subject": "Hi", "text": "cheap, guaranteed"}, variants=[],
        outputs=["txt"], qa={"brand_rules": True}, brand=brand,
    )  # fmt: skip
    with unit_of_work(factory) as session:
        from brandloom.workspaces.service import resolve_workspace

        workspace = resolve_workspace(session, name="default")

        def loader(options: Any) -> Any:
            return live_brands(session, workspace, options)

        summary = validate(spec, brands=loader)
    codes = {i["code"] for p in summary.previews for i in p["qa"]["issues"]}
    assert {"brand.banned_term", "brand.glossary", "brand.disclaimer_missing"} <= codes


def test_rules_and_voice_read_the_copy_in_its_own_language() -> None:
    from brandloom.documents.qa.brand import copy_language

    body = "Our weavers finish every wool throw by hand, in small batches, for calm rooms."
    assert copy_language(body, "de-DE") == "en"  # English copy to a German contact
    assert copy_language("Neu: Decken", "de-DE") == "de"  # too short to tell: the contact's
    assert copy_language("Unsere Weber stellen jede Decke von Hand her.", "en-US") == "de"
