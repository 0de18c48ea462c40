"""Unit tests of the per-value normalizers and the validator internals."""

from __future__ import annotations

import pytest

from brandloom.audiences.mapping import (
    canonical_name,
    normalize_header,
    plan_columns,
    variable_name,
    variable_names,
)
from brandloom.audiences.validation import (
    ContactRow,
    RejectedRow,
    build_validator,
    is_valid_email,
    normalize_consent,
    normalize_locale,
    normalize_timestamp,
)


def test_header_normalization() -> None:
    assert normalize_header(" E-Mail Address ") == "emailaddress"
    assert normalize_header("first_name") == normalize_header("First Name") == "firstname"
    assert normalize_header("\ufeffe.mail") == "email"
    assert variable_name("First Name") == "first_name"
    assert variable_name("  Opt-In (date)!! ") == "opt_in_date"
    assert variable_name("***") == ""
    assert variable_names(["A", "a", "", "A"]) == ["a", "a_2", "column_3", "a_3"]
    assert canonical_name("E-Mail") == "email"
    assert canonical_name("key") == "id"
    assert canonical_name("nickname") is None


def test_email_syntax() -> None:
    assert is_valid_email("a@b.co")
    assert is_valid_email("user@bücher.de")
    assert not is_valid_email("user@bü cher.de")
    assert not is_valid_email("üser@example.com")
    assert not is_valid_email("a@" + "b" * 63 + "." + "c" * 64)
    assert is_valid_email("a@" + "b" * 63 + ".com")
    assert not is_valid_email(("x" * 64 + ".") * 4 + "@example.com")


def test_consent_normalization() -> None:
    assert normalize_consent("Opt In") == "granted"
    assert normalize_consent("OPTED_OUT") == "denied"
    assert normalize_consent("  ") == "unknown"
    assert normalize_consent("perhaps") is None


def test_timestamp_normalization() -> None:
    assert normalize_timestamp("2024-05-31") == "2024-05-31"
    assert normalize_timestamp("2024-05-31T10:00:00z") == "2024-05-31T10:00:00+00:00"
    assert normalize_timestamp("2024-05-31T10:00:00.123456+05:30") == (
        "2024-05-31T10:00:00.123456+05:30"
    )
    assert normalize_timestamp(" ") == ""
    assert normalize_timestamp("yesterday") is None
    assert normalize_timestamp("2024-13-01") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("de_DE", "de-DE"),
        ("de-de", "de-DE"),
        ("EN", "en"),
        ("zh-Hans-CN", "zh-Hans-CN"),
        ("sr-Latn", "sr-Latn"),
        ("es-419", "es-419"),
        ("", ""),
        ("xx", None),
        ("d", None),
    ],
)
def test_locale_normalization(raw: str, expected: str | None) -> None:
    assert normalize_locale(raw) == expected


def test_validator_builds_contacts_and_rejects() -> None:
    headers = ["Email", "Vorname", "Opt-In", "Lang"]
    plan = plan_columns(headers, key=None, columns={}, required=())
    check = build_validator(plan)
    contact = check(1, ["A@x.io", "Ann", "yes", "de_de"])
    assert contact == ContactRow(
        1,
        "a@x.io",
        "A@x.io",
        "de-DE",
        "granted",
        None,
        None,
        {
            "email": "A@x.io",
            "vorname": "Ann",
            "opt_in": "yes",
            "lang": "de_de",
            "first_name": "Ann",
            "consent": "yes",
            "locale": "de_de",
        },
    )
    duplicate = check(2, ["a@X.io", "", "", ""])
    assert isinstance(duplicate, RejectedRow) and duplicate.code == "key.duplicate"


def test_validator_table_grows_past_its_initial_size() -> None:
    plan = plan_columns(["id"], key=None, columns={}, required=())
    check = build_validator(plan, expected_rows=0)
    for row in range(1, 3001):
        assert isinstance(check(row, [f"k{row}"]), ContactRow)
    for row in range(1, 3001, 97):
        again = check(10_000 + row, [f"k{row}"])
        assert isinstance(again, RejectedRow)
        assert again.reason.endswith(f"(first seen at row {row})")
