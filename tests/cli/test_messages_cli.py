"""``brandloom messages extract|check`` and the catalog warnings of ``validate``, as a user runs
them (real subprocesses)."""

from __future__ import annotations

from pathlib import Path

import yaml
from babel.messages.pofile import read_po

from tests.cli.test_cli import run
from tests.factories import write_csv, write_spec

HEADER = ["email", "first_name", "locale", "consent"]
ROWS = [
    ["ann@example.com", "Ann", "en-GB", "yes"],
    ["jo@example.com", "Jörg", "de-AT", "yes"],
]
EN = {"greeting": "Hello {first_name}", "cta": "Shop now", "legal": "Terms apply"}
DE = {"greeting": "Hallo {first_name}", "cta": "Jetzt einkaufen", "legal": "Es gelten die AGB"}


def _spec(folder: Path, catalogs: dict[str, dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "contacts.csv", ROWS, header=HEADER)
    (folder / "messages").mkdir(exist_ok=True)
    names = {}
    for locale, messages in catalogs.items():
        (folder / "messages" / f"{locale}.yaml").write_text(
            yaml.safe_dump(messages, allow_unicode=True), encoding="utf-8"
        )
        names[locale] = f"messages/{locale}.yaml"
    return write_spec(
        folder,
        template={
            "subject": "{{ t.greeting }}",
            "text": "{{ t.cta }}",
            "messages": names,
            "locales": {"de": {"text": "{{ t.cta }}!\n{{ t.legal }}"}},
        },
        variants=[{"name": "A"}, {"name": "B", "subject": "{{ t.cta }}, {{ first_name }}"}],
        outputs=["txt"],
        qa={},
    )


def test_extract_lists_every_key_where_it_is_read_and_writes_a_pot(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "in", {"en": EN, "de": DE})
    pot = tmp_path / "keys.pot"
    result = run(env, "messages", "extract", str(spec), "--pot", str(pot))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    cta = next(line for line in lines if " cta " in line)
    assert "text" in cta and "locales.de.text" in cta and "variant B.subject" in cta
    assert "Shop now" in cta
    assert any("greeting" in line and "Hello {first_name}" in line for line in lines)
    with pot.open("rb") as fh:
        catalog = read_po(fh)
    assert sorted(m.id for m in catalog if m.id) == ["cta", "greeting", "legal"]
    assert catalog["greeting"].auto_comments == ["Hello {first_name}"]


def test_check_shows_coverage_and_every_problem_then_exits_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    good = run(env, "messages", "check", str(_spec(tmp_path / "good", {"en": EN, "de": DE})))
    assert good.returncode == 0, good.stderr
    assert "3/3" in good.stdout
    assert "every catalog holds every key" in good.stdout

    broken_de = {"greeting": "Hallo {vorname}", "cta": "Jetzt einkaufen", "extra": "x"}
    bad = run(env, "messages", "check", str(_spec(tmp_path / "bad", {"en": EN, "de": broken_de})))
    assert bad.returncode == 1
    de_row = next(line for line in bad.stdout.splitlines() if line.strip("│ ").startswith("de"))
    assert "2/3" in de_row and "legal" in de_row and "extra" in de_row
    problems = [line for line in bad.stderr.splitlines() if line.startswith("problem:")]
    assert any("messages.de" in p and "key 'legal' is missing" in p for p in problems)
    assert any("uses {vorname} but messages.en uses {first_name}" in p for p in problems)
    assert any("messages.en" in p and "key 'extra' is missing" in p for p in problems)


def test_validate_warns_about_a_catalog_no_contact_gets(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "in", {"en": EN, "de": DE, "fr": EN})
    result = run(env, "validate", str(spec))
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stdout.splitlines() if "template.unused_catalog" in line)
    assert "messages.fr" in warning and "fr.yaml" in warning
    assert "de-AT, en-GB" in result.stdout
    assert "messages.en" not in result.stdout  # the en-GB contact gets it
    # the previews speak each contact's language: subject, and the de body override
    assert "variable.unresolved" not in result.stdout
    assert "Es gelten die AGB" in result.stdout and "Terms apply" not in result.stdout
    assert "Hello Ann" in result.stdout or "Shop now, Ann" in result.stdout


def test_generate_reports_the_unused_catalog_with_its_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "in", {"en": EN, "de": DE, "fr": EN})
    result = run(env, "generate", str(spec), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "unused_catalog" in line)
    assert "messages.fr (" in warning and "fr.yaml)" in warning
