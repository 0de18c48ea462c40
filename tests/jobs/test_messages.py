"""Message catalogs end to end: a multilingual template renders each contact in its language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli.generate import generate
from brandloom.errors import BrandloomError
from tests.factories import write_csv, write_spec

pytestmark = pytest.mark.usefixtures("default_workspace")

HEADER = ["email", "first_name", "points", "locale", "consent"]
ROWS = [
    ["ann@example.com", "Ann", "1", "en-US", "yes"],
    ["jo@example.com", "Jörg", "3", "de-AT", "yes"],  # de-AT -> the de catalog
    ["ken@example.com", "Ken", "2", "ja-JP", "yes"],  # no ja catalog -> en; ja part overrides
    ["fifi@example.com", "Fifi", "1", "fr-FR", "yes"],  # no fr anything -> en
    ["nol@example.com", "Nol", "0", "", "yes"],  # no locale -> the spec's default
]
EN = {
    "subject": "Hello {first_name}",
    "points": {
        "count": "points",
        "one": "You have {points} point",
        "other": "You have {points} points",
    },
    "footer": {"legal": "Terms & conditions apply"},
}
DE = {
    "subject": "Hallo {first_name}",
    "points": {
        "count": "points",
        "one": "Du hast {points} Punkt",
        "other": "Du hast {points} Punkte",
    },
    "footer": {"legal": "Es gelten die AGB"},
}


def _spec(folder: Path, **template: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "contacts.csv", ROWS, header=HEADER)
    (folder / "messages").mkdir(exist_ok=True)
    (folder / "messages" / "en.yaml").write_text(yaml.safe_dump(EN), encoding="utf-8")
    (folder / "messages" / "de.json").write_text(json.dumps(DE), encoding="utf-8")
    parts = {
        "subject": "{{ t.subject }}",
        "text": "{{ t.points }}\n{{ t.footer.legal }}\nlocale={{ locale }}",
        "messages": {"en": "messages/en.yaml", "de": "messages/de.json"},
        "locales": {"ja": {"subject": "{{ first_name }}さん、こんにちは"}},
    }
    parts.update(template)
    return write_spec(
        folder,
        template=parts,
        variants=[],
        outputs=["txt", "eml"],
        chunk_size=10,
    )


def _run(factory: sessionmaker[Session], url: str, spec: Path, out: Path) -> Any:
    return generate(
        factory,
        database_url=url,
        workspace_name=None,
        spec_path=spec,
        out_dir=out,
        workers=1,
    )


def _subject(out: Path, key: str) -> str:
    import email
    import email.policy

    raw = (out / "eml" / f"{key}.eml").read_bytes()
    return str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])


def test_each_contact_gets_its_catalog_plural_and_part_overrides(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _run(factory, database_url, _spec(tmp_path / "in"), out)
    text = {
        key: (out / "txt" / f"{key}.txt").read_text(encoding="utf-8")
        for key in ("ann@example.com", "jo@example.com", "ken@example.com", "nol@example.com")
    }
    assert text["ann@example.com"] == "You have 1 point\nTerms & conditions apply\nlocale=en-US"
    assert text["jo@example.com"] == "Du hast 3 Punkte\nEs gelten die AGB\nlocale=de-AT"
    assert text["ken@example.com"].startswith("You have 2 points\n")  # ja falls back to en
    assert text["nol@example.com"].startswith("You have 0 points\n")
    assert _subject(out, "jo@example.com") == "Hallo Jörg"
    assert _subject(out, "ken@example.com") == "Kenさん、こんにちは"  # the ja part override
    assert _subject(out, "fifi@example.com") == "Hello Fifi"

    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert {m["key"]: m["locale"] for m in manifest} == {
        "ann@example.com": "en",
        "jo@example.com": "de",
        "ken@example.com": "en",
        "fifi@example.com": "en",
        "nol@example.com": "en",
    }
    assert result.report["locales"] == {"de": 1, "en": 4}


def test_a_variant_overrides_keys_and_its_part_beats_the_locale_override(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    spec = _spec(folder)
    raw = yaml.safe_load(spec.read_text())
    raw["variants"] = [
        {"name": "B", "messages": {"de": {"subject": "Servus {first_name}"}}},
        {"name": "C", "subject": "C for {{ first_name }}"},
    ]
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    manifest = {
        m["key"]: m for m in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    for key, entry in manifest.items():
        subject = _subject(out, key)
        if entry["variant"] == "C":
            assert subject.startswith("C for ")  # variant part > locale override > template
        elif key == "jo@example.com":
            assert subject == "Servus Jörg"
        elif key == "ken@example.com":
            assert subject == "Kenさん、こんにちは"
    assert {m["variant"] for m in manifest.values()} == {"B", "C"}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"text": "{{ t.nope }}"}, "key 'nope' is missing (the template uses it)"),
        (
            {"messages": {"en": {"subject": "Hi {first_name}"}, "de": {"subject": "Hallo"}}},
            "key 'subject' uses no placeholders but messages.en uses {first_name}",
        ),
        (
            {"messages": {"en": {"subject": "x", "extra": "y"}, "de": {"subject": "x"}}},
            "messages.de (inline): key 'extra' is missing",
        ),
        ({"text": "plain", "messages": {"en": {"subject": "Hi {frist_name}"}}}, "{frist_name}"),
        ({"messages": {"en": "messages/missing.yaml"}}, "missing.yaml"),
        ({"messages": None}, "has no catalogs"),
        ({"messages": {"en": {"p": {"count": "points", "one": "x"}}}}, "'other' form"),
        ({"messages": {"en": {"subject": "Hi {first_name!r}"}}}, "is not a variable name"),
    ],
)
def test_bad_catalogs_stop_before_any_output(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    change: dict[str, Any],
    needle: str,
) -> None:
    spec = _spec(tmp_path / "in", **change)
    if change.get("messages") is None and "messages" in change:
        raw = yaml.safe_load(spec.read_text())
        del raw["template"]["messages"]
        spec.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(BrandloomError) as caught:
        _run(factory, database_url, spec, out)
    assert needle in str(caught.value)
    assert not (out / "txt").exists()


def test_the_catalog_file_is_named_in_errors(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    spec = _spec(folder)
    (folder / "messages" / "de.json").write_text(json.dumps({"subject": "Hallo"}))
    with pytest.raises(BrandloomError) as caught:
        _run(factory, database_url, spec, tmp_path / "out")
    message = str(caught.value)
    assert "messages.de (" in message and "de.json" in message and "'points'" in message


def test_a_column_named_t_is_refused(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    spec = _spec(folder)
    write_csv(
        folder / "contacts.csv",
        [[*row, "x"] for row in ROWS],
        header=[*HEADER, "t"],
    )
    with pytest.raises(BrandloomError) as caught:
        _run(factory, database_url, spec, tmp_path / "out")
    assert caught.value.code == "audience.reserved_column"


def test_gettext_po_catalogs(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    spec = _spec(folder, text="{{ t.greeting }}", messages={"en": "en.po", "de": "de.po"})
    for locale, text in (("en", "Hello {first_name}"), ("de", "Hallo {first_name}")):
        (folder / f"{locale}.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: {locale}\\n"\n\n'
            f'msgid "subject"\nmsgstr "{text}"\n\nmsgid "greeting"\nmsgstr "{text}!"\n',
            encoding="utf-8",
        )
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    assert (out / "txt" / "jo@example.com.txt").read_text(encoding="utf-8") == "Hallo Jörg!"


def test_qa_phrases_per_locale_follow_the_documents_catalog(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "in")
    raw = yaml.safe_load(spec.read_text())
    raw["qa"] = {
        "required_phrases": {"de": ["AGB"], "en": ["Terms"]},
        "banned_phrases": {"*": ["free"], "de-AT": ["Punkte"]},
    }
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    manifest = {
        m["key"]: m for m in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    # en documents (the en catalog, including ja/fr contacts) hold "Terms": they pass
    for key in ("ann@example.com", "ken@example.com", "fifi@example.com", "nol@example.com"):
        assert manifest[key]["qa"]["status"] == "pass", manifest[key]
    # the de-AT contact gets the de catalog (so its "AGB" list) and de-AT's banned list
    jo = manifest["jo@example.com"]
    assert [i["code"] for i in jo["qa"]["issues"]] == ["phrase.banned"]
    assert "'Punkte'" in jo["qa"]["issues"][0]["message"]

    raw["qa"] = {"required_phrases": {"de": ["Abmelden"], "en": ["Terms"]}}
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out2"
    result = _run(factory, database_url, spec, out)
    assert result.report["qa"]["by_code"] == {"phrase.required_missing": 1}


def test_qa_phrase_locales_are_checked_in_the_spec(tmp_path: Path) -> None:
    from brandloom.documents.qa import QAConfig

    with pytest.raises(ValueError, match="both the locale 'de-DE'"):
        QAConfig.model_validate({"required_phrases": {"de_DE": ["a"], "de-de": ["b"]}})
    config = QAConfig.model_validate({"banned_phrases": {"de_at": [" x ", ""]}})
    assert config.banned_phrases == {"de-AT": ["x"]}
