"""European spreadsheets and JSON end to end through ``brandloom generate``: declared column
types read by locale, values a filter cannot read, and JSON lists/objects in templates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

BRANDLOOM = [sys.executable, "-m", "brandloom.cli.app"]

GERMAN_CSV = (
    "Kundennummer;E-Mail;Vorname;Umsatz;Letzter Einkauf;Sprache\r\n"
    "1;joerg@example.com;Jörg;1.234,50;03.02.2026;de-DE\r\n"
    "2;anne@example.com;Änne;99,90;28.12.2025;de-DE\r\n"
    "3;bernd@example.com;Bernd;12.34,5;01.01.2026;de-DE\r\n"
)


def generate(env: dict[str, str], spec: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BRANDLOOM, "generate", str(spec), "--out", str(out), "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def write_spec(folder: Path, audience: dict[str, object], text: str, **extra: object) -> Path:
    spec = {
        "name": "typed",
        "locale": "de-DE",
        "audience": audience,
        "template": {"subject": "Hallo", "text": text},
        "outputs": ["txt"],
        **extra,
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def manifest(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return {entry["key"]: entry for entry in map(json.loads, lines)}


def test_german_semicolon_csv_with_types_formats_currency_and_dates(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "kunden.csv").write_bytes(GERMAN_CSV.encode("cp1252"))
    spec = write_spec(
        folder,
        {
            "path": "kunden.csv",
            "types": {"umsatz": "decimal", "letzter_einkauf": "date"},
            "locale": "de-DE",
        },
        "{{ vorname }}: {{ umsatz | currency('EUR') }} am {{ letzter_einkauf | date('long') }}",
    )
    out = tmp_path / "out"
    result = generate(env, spec, out)
    assert result.returncode == 0, result.stderr
    files = manifest(out)
    text = (out / str(files["joerg@example.com"]["files"]["txt"])).read_text(encoding="utf-8")  # type: ignore[index]
    assert text.strip() == "Jörg: 1.234,50\xa0€ am 3. Februar 2026"
    text = (out / str(files["anne@example.com"]["files"]["txt"])).read_text(encoding="utf-8")  # type: ignore[index]
    assert text.strip() == "Änne: 99,90\xa0€ am 28. Dezember 2025"
    assert files["joerg@example.com"]["qa"] == {"status": "pass", "issues": []}
    # "12.34,5" is not a number in de-DE: the row is rejected, naming row, column and format.
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["accepted"], report["rejected"]) == (2, 1)
    rejected = (out / "rejected.csv").read_text(encoding="utf-8")
    assert "row 3, column 'Umsatz' (umsatz): '12.34,5' is not a number like 1.234,50" in rejected


def test_without_types_the_filters_warn_about_values_they_cannot_read(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "kunden.csv").write_bytes(GERMAN_CSV.encode("cp1252"))
    spec = write_spec(
        folder,
        {"path": "kunden.csv"},
        "{{ umsatz | currency('EUR') }} am {{ letzter_einkauf | date('long') }}",
    )
    out = tmp_path / "out"
    result = generate(env, spec, out)
    assert result.returncode == 0, result.stderr
    entry = manifest(out)["joerg@example.com"]
    text = (out / str(entry["files"]["txt"])).read_text(encoding="utf-8")  # type: ignore[index]
    assert text.strip() == "1.234,50 am 03.02.2026"  # printed unchanged...
    qa = entry["qa"]
    assert isinstance(qa, dict)
    assert qa["status"] == "warn"  # ...but no longer silently
    (issue,) = qa["issues"]
    assert issue["code"] == "filter.unparsed_value"
    assert "currency('1.234,50')" in issue["message"]
    assert "date('03.02.2026')" in issue["message"]


def test_jsonl_lists_join_and_objects_have_attributes(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [
        {"email": "a@example.com", "tags": ["vip", "new"], "address": {"city": "Köln"}},
        {"email": "b@example.com", "tags": [], "address": {"city": "Wien"}},
    ]
    (folder / "contacts.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    spec = write_spec(
        folder,
        {"path": "contacts.jsonl"},
        "{{ tags | join(',') }}|{{ address.city }}|{% for t in tags %}<{{ t }}>{% endfor %}",
    )
    out = tmp_path / "out"
    result = generate(env, spec, out)
    assert result.returncode == 0, result.stderr
    files = manifest(out)
    first = (out / str(files["a@example.com"]["files"]["txt"])).read_text(encoding="utf-8")  # type: ignore[index]
    assert first.strip() == "vip,new|Köln|<vip><new>"
    second = (out / str(files["b@example.com"]["files"]["txt"])).read_text(encoding="utf-8")  # type: ignore[index]
    assert second.strip() == "|Wien|"


def test_a_type_for_a_column_the_file_lacks_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "kunden.csv").write_bytes(GERMAN_CSV.encode("cp1252"))
    spec = write_spec(
        folder, {"path": "kunden.csv", "types": {"revenue": "decimal"}}, "{{ vorname }}"
    )
    result = generate(env, spec, tmp_path / "out")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "audience.types.revenue" in result.stderr
    assert "Traceback" not in result.stderr
