"""Declared column types: parsing by locale and pattern, rejects, storage round trip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import orjson
import pytest

from brandloom.audiences.errors import AudienceError
from brandloom.audiences.reader import ImportOptions, RejectedRow, open_audience
from brandloom.audiences.types import TypeParser, attribute_decoder, stored_default, type_parser

from .conftest import Load

GERMAN = (
    "E-Mail;Umsatz;Letzter Einkauf;Kunde seit;Punkte;VIP;Extras;PLZ\r\n"
    "ann@example.com;1.234,50;03.02.2026;03.02.2026 14:30;1.200;ja;"
    '"{""tags"": [""vip""]}";01067\r\n'
)
GERMAN_TYPES = {
    "umsatz": "decimal",
    "letzter_einkauf": "date",
    "kunde_seit": "datetime",
    "punkte": "integer",
    "vip": "boolean",
    "extras": "json",
}


def test_german_csv_values_become_typed(load: Load) -> None:
    loaded = load("de.csv", GERMAN.encode("cp1252"), rows=1, types=GERMAN_TYPES, locale="de-DE")
    attributes = loaded.accepted[0].attributes
    assert attributes["umsatz"] == Decimal("1234.50")
    assert isinstance(attributes["umsatz"], Decimal)
    assert attributes["letzter_einkauf"] == dt.date(2026, 2, 3)
    assert attributes["kunde_seit"] == dt.datetime(2026, 2, 3, 14, 30)
    assert attributes["punkte"] == 1200
    assert attributes["vip"] is True
    assert attributes["extras"] == {"tags": ["vip"]}
    assert attributes["plz"] == "01067"  # undeclared: text, nothing inferred


def test_a_value_that_does_not_parse_rejects_the_row_naming_row_column_and_format(
    load: Load,
) -> None:
    content = "email;umsatz\r\na@example.com;1.234,50\r\nb@example.com;1234.50\r\n"
    loaded = load("de.csv", content, rows=2, types={"umsatz": "decimal"}, locale="de-DE")
    assert [c.key for c in loaded.accepted] == ["a@example.com"]
    (reject,) = loaded.rejected
    assert reject.code == "field.type"
    assert reject.row == 2
    assert "row 2" in reject.reason
    assert "'umsatz'" in reject.reason
    assert "'1234.50'" in reject.reason
    assert "1.234,50 (de-DE)" in reject.reason


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("date", "31.02.2026"),
        ("date", "03.02.2026 14:30"),
        ("date", "gestern"),
        ("integer", "12,5"),
        ("boolean", "vielleicht"),
        ("json", "{broken"),
        ("datetime", "03.02.2026"),
    ],
)
def test_unparseable_typed_values_are_rejected(load: Load, type_: str, raw: str) -> None:
    content = f"email;v\r\na@example.com;{raw}\r\n"
    loaded = load("de.csv", content, rows=1, types={"v": type_}, locale="de-DE")
    assert [r.code for r in loaded.rejected] == ["field.type"]


def test_blank_typed_values_are_none(load: Load) -> None:
    content = "email;umsatz;tag\r\na@example.com;;\r\n"
    loaded = load(
        "de.csv", content, rows=1, types={"umsatz": "decimal", "tag": "date"}, locale="de-DE"
    )
    assert loaded.accepted[0].attributes["umsatz"] is None
    assert loaded.accepted[0].attributes["tag"] is None


def test_without_a_locale_numbers_are_plain_and_dates_iso(load: Load) -> None:
    content = (
        'email,n,d\r\na@example.com,1234.5,2026-02-03\r\nb@example.com,"1,234.5",2026-02-03\r\n'
    )
    loaded = load("a.csv", content, rows=2, types={"n": "decimal", "d": "date"})
    assert loaded.accepted[0].attributes == {
        "email": "a@example.com",
        "n": Decimal("1234.5"),
        "d": dt.date(2026, 2, 3),
    }
    assert [r.row for r in loaded.rejected] == [2]


def test_explicit_date_format_cldr_and_strftime(load: Load) -> None:
    content = "email,d\r\na@example.com,2026/03/02\r\n"
    cldr = load("a.csv", content, rows=1, types={"d": "date"}, date_format="yyyy/dd/MM")
    assert cldr.accepted[0].attributes["d"] == dt.date(2026, 2, 3)
    strf = load("b.csv", content, rows=1, types={"d": "date"}, date_format="%Y/%d/%m")
    assert strf.accepted[0].attributes["d"] == dt.date(2026, 2, 3)
    us = load(
        "c.csv",
        "email,d\r\na@example.com,02/03/2026\r\n",
        rows=1,
        types={"d": "date"},
        locale="en-US",
    )
    assert us.accepted[0].attributes["d"] == dt.date(2026, 2, 3)


def test_jsonl_native_numbers_are_not_read_by_the_locale(load: Load) -> None:
    # 1234.5 as a JSON number must not become 12345 under de-DE grouping rules.
    content = '{"email": "a@example.com", "n": 1234.5, "s": "1.234,5", "i": 7, "b": false}\n'
    loaded = load(
        "a.jsonl",
        content,
        rows=1,
        types={"n": "decimal", "s": "decimal", "i": "integer", "b": "boolean"},
        locale="de-DE",
    )
    attributes = loaded.accepted[0].attributes
    assert attributes["n"] == Decimal("1234.5")
    assert attributes["s"] == Decimal("1234.5")
    assert attributes["i"] == 7
    assert attributes["b"] is False


def test_xlsx_cells_keep_their_native_values(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["email", "umsatz", "tag", "text"])
    sheet.append(["a@example.com", 1234.5, dt.datetime(2026, 2, 3), "1.234,50"])
    workbook.save(path)
    reader = open_audience(
        path,
        ImportOptions(
            types={"umsatz": "decimal", "tag": "date", "text": "decimal"}, locale="de-DE"
        ),
    )
    (row,) = list(reader)
    assert not isinstance(row, RejectedRow)
    assert row.attributes["umsatz"] == Decimal("1234.5")
    assert row.attributes["tag"] == dt.date(2026, 2, 3)
    assert row.attributes["text"] == Decimal("1234.50")


def test_type_options_are_checked_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("email,umsatz\r\na@example.com,1\r\n")
    cases = [
        (ImportOptions(types={"umsatz": "money"}), "audience.types", "unknown type 'money'"),
        (ImportOptions(types={"revenue": "decimal"}), "audience.types", "variables are: umsatz"),
        (ImportOptions(types={"email": "json"}), "audience.types", "'email' is a contact field"),
        (ImportOptions(types={"umsatz": "decimal"}, locale="xx-QQ"), "audience.options", "xx-QQ"),
        (ImportOptions(date_format="dd.MMM.yyyy"), "audience.options", "date_format"),
    ]
    for options, code, text in cases:
        with pytest.raises(AudienceError) as caught:
            open_audience(path, options)
        assert caught.value.code == code
        assert text in caught.value.message


def test_stored_values_round_trip_exactly() -> None:
    types = {"d": "decimal", "day": "date", "at": "datetime", "n": "integer", "j": "json"}
    values = {
        "d": Decimal("1234.50"),
        "day": dt.date(2026, 2, 3),
        "at": dt.datetime(2026, 2, 3, 14, 30, 0, 123, tzinfo=dt.UTC),
        "n": 12345678901234567890,
        "j": {"a": [1, "x"]},
        "s": "01067",
    }
    stored = orjson.loads(orjson.dumps(values, default=stored_default))
    decode = attribute_decoder(types)
    assert decode is not None
    back = decode(stored)
    assert back == values
    assert str(back["d"]) == "1234.50"  # the exponent (trailing zero) survives too
    assert attribute_decoder({"n": "integer", "j": "json"}) is None  # nothing to convert


def test_expected_formats_are_described_per_locale() -> None:
    german = TypeParser(locale="de-DE")
    assert "1.234,50 (de-DE)" in german.expected("decimal")
    assert "dd.MM.y" in german.expected("date")
    assert "1234.50" in TypeParser().expected("decimal")
    assert type_parser(types={}, locale=None, date_format="%d.%m.%Y", datetime_format=None)


def test_repeated_values_parse_alike_good_and_bad(load: Load) -> None:
    content = "email;d\r\na@x.com;03.02.2026\r\nb@x.com;3.2.2026\r\nc@x.com;31.02.2026\r\n"
    content += "d@x.com;03.02.2026\r\ne@x.com;31.02.2026\r\n"
    loaded = load("de.csv", content, rows=5, types={"d": "date"}, locale="de-DE")
    assert [c.attributes["d"] for c in loaded.accepted] == [dt.date(2026, 2, 3)] * 3
    assert [(r.row, r.code) for r in loaded.rejected] == [(3, "field.type"), (5, "field.type")]
