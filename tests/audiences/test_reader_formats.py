"""JSON Lines and XLSX audiences, plus format detection."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from brandloom.audiences.errors import AudienceError
from brandloom.audiences.reader import ImportOptions, RejectedRow, open_audience

from .conftest import Load

# ------------------------------------------------------------------------------------ JSONL


def test_jsonl_scalars_are_text_lists_and_objects_stay_structured(load: Load) -> None:
    content = (
        '{"email": "a@example.com", "n": 42, "f": 1.5, "w": 3.0, "b": true, "x": null, '
        '"o": {"k": [1, "é"]}, "l": [1, 2]}\n'
    )
    loaded = load("a.jsonl", content, rows=1)
    assert loaded.reader.format == "jsonl"
    assert loaded.reader.delimiter is None
    assert loaded.reader.headers == ["email", "n", "f", "w", "b", "x", "o", "l"]
    assert loaded.accepted[0].attributes == {
        "email": "a@example.com",
        "n": "42",
        "f": "1.5",
        "w": "3",
        "b": "true",
        "x": "",
        "o": {"k": [1, "é"]},
        "l": [1, 2],
    }


def test_jsonl_structures_declared_text_stay_json_text(load: Load) -> None:
    content = (
        '{"email": "a@example.com", "o": {"k": 1}, "l": [1, 2]}\n'
        '{"email": "b@example.com", "o": {"k": 2}, "l": [], "later": {"city": "Köln"}}\n'
    )
    loaded = load("a.jsonl", content, rows=2, types={"o": "string"})
    first, second = loaded.accepted
    assert first.attributes["o"] == '{"k":1}'
    assert first.attributes["l"] == [1, 2]
    assert second.attributes["l"] == []
    # keys first seen in a later line keep their structure too
    assert second.attributes["later"] == {"city": "Köln"}


def test_jsonl_broken_and_non_object_lines(load: Load) -> None:
    content = (
        '{"email": "a@example.com", "name": "Ann"}\n'
        '{"email": "b@example.com", "name": \n'
        "\n"
        "[1, 2, 3]\n"
        '"just a string"\n'
        "   \n"
        '{"email": "c@example.com", "name": "Cy", "tier": "gold"}\n'
        '{"name": "no email"}\n'
        '{"email": "A@EXAMPLE.COM"}\n'
    )
    loaded = load("b.jsonl", content, rows=7)
    assert loaded.codes() == {
        2: "jsonl.invalid_json",
        3: "jsonl.invalid_json",
        4: "jsonl.invalid_json",
        6: "key.missing",
        7: "key.duplicate",
    }
    broken = loaded.by_row(2)
    assert isinstance(broken, RejectedRow)
    assert broken.reason.startswith("line 2 is not valid JSON: ")
    assert broken.raw == ['{"email": "b@example.com", "name":']
    array = loaded.by_row(3)
    assert isinstance(array, RejectedRow)
    assert array.reason == "line 4 is not a JSON object (got array)"
    scalar = loaded.by_row(4)
    assert isinstance(scalar, RejectedRow) and "(got str)" in scalar.reason
    cy = loaded.accepted[1]
    assert cy.row == 5
    assert cy.attributes == {"email": "c@example.com", "name": "Cy", "tier": "gold"}
    assert "tier" not in loaded.reader.variables  # headers come from the first object only


def test_jsonl_header_from_first_valid_object(load: Load) -> None:
    content = 'garbage\n{"Email": "a@example.com", "Vorname": "Ann"}\n'
    loaded = load("c.jsonl", content, rows=2)
    assert loaded.reader.headers == ["Email", "Vorname"]
    assert loaded.reader.mapping == {"email": "Email", "first_name": "Vorname"}
    assert loaded.codes() == {1: "jsonl.invalid_json"}


def test_jsonl_bad_byte_nul_and_long_value(load: Load) -> None:
    data = (
        b'{"email": "a@example.com", "name": "Zo\xc3\xab"}\n'
        b'{"email": "b@example.com", "name": "B\xffb"}\n'
        b'{"email": "c@example.com", "name": "C\\u0000y"}\n'
        b'{"email": "d@example.com", "name": "' + b"d" * 30 + b'"}\n'
        b'{"email": "e@example.com", "name": "Eve"}\n'
    )
    loaded = load("d.jsonl", data, rows=5, max_field_chars=25)
    assert loaded.codes() == {2: "row.encoding", 3: "row.nul_byte", 4: "field.too_long"}
    assert loaded.keys() == ["a@example.com", "e@example.com"]


def test_jsonl_detected_from_content(load: Load) -> None:
    loaded = load("export.dat", '{"email": "a@example.com"}\n', rows=1)
    assert loaded.reader.format == "jsonl"


def test_jsonl_without_any_object(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("[1]\nnope\n")
    with pytest.raises(AudienceError, match="no JSON object") as info:
        open_audience(path)
    assert info.value.code == "audience.empty"


def test_json_array_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"email": "a@example.com"}]')
    with pytest.raises(AudienceError, match="JSON Lines") as info:
        open_audience(path)
    assert info.value.code == "audience.format"


# ------------------------------------------------------------------------------------- XLSX


def _workbook(path: Path, rows: list[list[object]], *, title: str = "Contacts") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    other = workbook.create_sheet("Other")
    other.append(["customer_id", "email"])
    other.append(["X1", "other@example.com"])
    workbook.save(path)
    return path


def test_xlsx_values(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "a.xlsx",
        [
            ["Email", "Score", "Ratio", "Joined", "At", "Flag", "Opt-In Date", None],
            [
                "a@example.com",
                42,
                0.25,
                date(2024, 5, 1),
                datetime(2024, 5, 1, 14, 30),
                True,
                datetime(2024, 1, 2),
            ],
            [None, None, None],
            ["b@example.com", 7.0, None, None, time(9, 15), False, "2024-02-03"],
        ],
    )
    reader = open_audience(path)
    assert reader.format == "xlsx"
    assert reader.encoding is None and reader.delimiter is None
    assert reader.headers == ["Email", "Score", "Ratio", "Joined", "At", "Flag", "Opt-In Date"]
    items = list(reader)
    assert [i.row for i in items] == [1, 2]  # the empty sheet row is not a data row
    first, second = items
    assert not isinstance(first, RejectedRow) and not isinstance(second, RejectedRow)
    assert first.attributes == {
        "email": "a@example.com",
        "score": "42",
        "ratio": "0.25",
        "joined": "2024-05-01",
        "at": "2024-05-01T14:30:00",
        "flag": "true",
        "opt_in_date": "2024-01-02",
        "consent_at": "2024-01-02",
    }
    assert first.consent_at == "2024-01-02"
    assert second.attributes["score"] == "7"
    assert second.attributes["at"] == "09:15:00"
    assert second.consent_at == "2024-02-03"


def test_xlsx_rejects(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "b.xlsx",
        [
            ["email", "name"],
            ["a@example.com", "Ann"],
            ["b@example.com", "#N/A"],
            ["c@example.com", "Cy", "stray"],
            ["A@example.com", "dup"],
            ["not-an-email", "x"],
            ["d@example.com", "y" * 40],
        ],
    )
    items = list(open_audience(path, ImportOptions(max_field_chars=30)))
    assert [i.row for i in items] == [1, 2, 3, 4, 5, 6]
    codes = {i.row: i.code for i in items if isinstance(i, RejectedRow)}
    assert codes == {
        2: "xlsx.cell_error",
        3: "row.ragged",
        4: "key.duplicate",
        5: "email.invalid",
        6: "field.too_long",
    }
    error = items[1]
    assert isinstance(error, RejectedRow) and error.reason == "cell error #N/A in column 'name'"
    ragged = items[2]
    assert isinstance(ragged, RejectedRow) and ragged.reason == "expected 2 fields, got 3"


def test_xlsx_sheet_selection(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "c.xlsx", [["email"], ["a@example.com"]])
    other = list(open_audience(path, ImportOptions(sheet="Other")))
    assert [getattr(i, "key", None) for i in other] == ["other@example.com"]
    with pytest.raises(AudienceError, match="no sheet named 'Nope'") as info:
        open_audience(path, ImportOptions(sheet="Nope"))
    assert "'Contacts', 'Other'" in info.value.message


def test_xlsx_header_below_empty_rows_and_trailing_empty_header_cells(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "d.xlsx", [[None], [None, None], ["email", "name", None, None], ["a@x.io", "A"]]
    )
    reader = open_audience(path)
    assert reader.headers == ["email", "name"]
    assert [getattr(i, "attributes", None) for i in reader] == [{"email": "a@x.io", "name": "A"}]


def test_xlsx_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 definitely not a workbook")
    with pytest.raises(AudienceError) as info:
        open_audience(path)
    assert info.value.code == "audience.unreadable"


def test_xlsx_detected_from_content(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "upload.bin", [["email"], ["a@example.com"]])
    assert open_audience(path).format == "xlsx"


def test_xlsx_empty_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "e.xlsx", [])
    with pytest.raises(AudienceError) as info:
        open_audience(path)
    assert info.value.code == "audience.empty"
