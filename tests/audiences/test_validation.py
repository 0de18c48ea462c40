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
    key_candidates,
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


def test_email_rules_are_the_address_module_s() -> None:
    plan = plan_columns(["id", "email"], key="id", columns={}, required=())
    check = build_validator(plan)
    assert isinstance(check(1, ["1", "a@b.co"]), ContactRow)
    assert isinstance(check(2, ["2", "user@bücher.de"]), ContactRow)
    assert isinstance(check(3, ["3", "a@" + "b" * 63 + ".com"]), ContactRow)
    for row, bad in enumerate(
        (
            "user@bü cher.de",
            "a@" + "b" * 63 + "." + "c" * 64,
            ("x" * 64 + ".") * 4 + "@example.com",
            "x" * 65 + "@example.com",  # a local part is at most 64 characters
            "john..doe@example.com",  # no dot-atom: no EML could be built for it
        ),
        start=10,
    ):
        rejected = check(row, [str(row), bad])
        assert isinstance(rejected, RejectedRow) and rejected.code == "email.invalid", bad


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("ann@☃.net", "IDNA 2008"),
        ("jörg@müller.de", "SMTPUTF8"),
        ("üser@example.com", "SMTPUTF8"),
    ],
)
def test_an_address_no_message_could_be_built_for_is_refused_with_its_reason(
    email: str, reason: str
) -> None:
    plan = plan_columns(["email"], key=None, columns={}, required=())
    rejected = build_validator(plan)(1, [email])
    assert isinstance(rejected, RejectedRow) and rejected.code == "email.invalid"
    assert rejected.reason.startswith(f"invalid email in column 'email': {email!r} (")
    assert reason in rejected.reason


def test_each_contact_records_the_first_row_of_its_address() -> None:
    plan = plan_columns(["id", "email"], key="id", columns={}, required=())
    check = build_validator(plan)
    rows = [
        ["1", "Ann@Example.com"],
        ["2", "bad address"],  # rejected: claims nothing
        ["3", "ann@example.COM"],  # another key, the same mailbox
        ["4", "ann@straße.de"],
        ["5", "ANN@xn--strae-oqa.de"],  # the same domain in ASCII
        ["6", ""],
        ["7", "bob@example.com"],
    ]
    results = [check(row, fields) for row, fields in enumerate(rows, start=1)]
    firsts = {r.key: r.email_row for r in results if isinstance(r, ContactRow)}
    assert firsts == {"1": 1, "3": 1, "4": 4, "5": 4, "6": None, "7": 7}


def test_an_email_key_is_its_mailbox() -> None:
    plan = plan_columns(["email"], key=None, columns={}, required=())
    check = build_validator(plan)
    first, again, idn = check(1, ["a@b.co"]), check(2, ["A@B.co"]), check(3, ["X@bücher.de"])
    assert isinstance(first, ContactRow) and first.email_row == 1
    assert isinstance(again, RejectedRow) and again.code == "key.duplicate"
    assert isinstance(idn, ContactRow) and idn.email_row == 3
    assert (idn.key, idn.email) == ("x@xn--bcher-kva.de", "X@bücher.de")
    same = check(4, ["x@XN--BCHER-KVA.de"])  # the same mailbox written in ASCII
    assert isinstance(same, RejectedRow) and same.code == "key.duplicate"
    assert same.reason.endswith("(first seen at row 3)")
    bad = check(5, ["ann@☃.net"])
    assert isinstance(bad, RejectedRow) and bad.code == "email.invalid"


def test_a_typed_key_finds_its_stored_form() -> None:
    assert key_candidates(" Ann@Straße.de ") == ("Ann@Straße.de", "ann@xn--strae-oqa.de")
    assert key_candidates("C-17") == ("C-17", "c-17")
    assert key_candidates("ann@example.com") == ("ann@example.com",)


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
        email_row=1,
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
