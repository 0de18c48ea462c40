"""The messy-CSV corpus: every file is real, every test checks the row accounting."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from brandloom.audiences import validation
from brandloom.audiences.reader import ContactRow, ImportOptions, RejectedRow, open_audience

from .conftest import Load

# ------------------------------------------------------------------------------ delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(load: Load, delimiter: str) -> None:
    others = ",;|".replace(delimiter, "") if delimiter != "\t" else ",;|"
    lines = [
        ["email", "first_name", "note"],
        ["a@example.com", "Ann", f'"has {others} inside"'],
        ["b@example.com", "Bob", "plain"],
        ["c@example.com", "Cy", f'"x{others[0]}y"'],
    ]
    content = "\n".join(delimiter.join(line) for line in lines) + "\n"
    loaded = load("people.csv", content, rows=3)
    assert loaded.reader.delimiter == delimiter
    assert loaded.reader.headers == ["email", "first_name", "note"]
    assert loaded.keys() == ["a@example.com", "b@example.com", "c@example.com"]
    assert loaded.accepted[0].attributes["note"] == f"has {others} inside"


def test_semicolon_file_with_commas_in_values(load: Load) -> None:
    content = "Email;Name;City\na@example.com;Doe, Jane;Paris, FR\nb@example.com;Roe, Rick;Rome\n"
    loaded = load("excel-de.csv", content, rows=2)
    assert loaded.reader.delimiter == ";"
    assert loaded.accepted[0].attributes["name"] == "Doe, Jane"


def test_tsv_extension_means_tab(load: Load) -> None:
    content = "email\tname\na@example.com\tDoe, Jane; Sr.\n"
    loaded = load("list.tsv", content, rows=1)
    assert loaded.reader.format == "tsv"
    assert loaded.reader.delimiter == "\t"
    assert loaded.accepted[0].attributes["name"] == "Doe, Jane; Sr."


def test_explicit_delimiter_wins(load: Load) -> None:
    loaded = load("x.csv", "email|a,b\nq@example.com|1,2\n", rows=1, delimiter="|")
    assert loaded.reader.headers == ["email", "a,b"]
    assert loaded.accepted[0].attributes["a_b"] == "1,2"


def test_single_column_file(load: Load) -> None:
    loaded = load("one.csv", "email\na@example.com\nb@example.com\n", rows=2)
    assert loaded.reader.delimiter == ","
    assert loaded.keys() == ["a@example.com", "b@example.com"]


# ------------------------------------------------------------------------------- encodings

ROWS_TEXT = "email,name\na@example.com,Müller\nb@example.com,Zoë Straße\nc@example.com,José\n"


def test_utf8_without_bom(load: Load) -> None:
    loaded = load("u.csv", ROWS_TEXT.encode("utf-8"), rows=3)
    assert loaded.reader.encoding == "utf-8"
    assert [c.attributes["name"] for c in loaded.accepted] == ["Müller", "Zoë Straße", "José"]


def test_utf8_with_bom(load: Load) -> None:
    loaded = load("u.csv", b"\xef\xbb\xbf" + ROWS_TEXT.encode("utf-8"), rows=3)
    assert loaded.reader.encoding == "utf-8-sig"
    assert loaded.reader.headers == ["email", "name"]  # no BOM glued to "email"
    assert loaded.reader.mapping["email"] == "email"
    assert loaded.accepted[0].attributes["name"] == "Müller"


@pytest.mark.parametrize(("codec", "name"), [("utf-16", "utf-16-le"), ("utf-16-be", "utf-16-be")])
def test_utf16_with_bom(load: Load, codec: str, name: str) -> None:
    data = ROWS_TEXT.replace(",", "\t").encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    else:
        assert data.startswith(b"\xff\xfe")  # Python writes the LE BOM on little-endian hosts
    loaded = load("excel-unicode.txt", data, rows=3)
    assert loaded.reader.encoding == name
    assert loaded.reader.delimiter == "\t"
    assert [c.attributes["name"] for c in loaded.accepted] == ["Müller", "Zoë Straße", "José"]


def test_utf16_without_bom_is_detected(load: Load) -> None:
    loaded = load("x.csv", ROWS_TEXT.encode("utf-16-le"), rows=3)
    assert loaded.reader.encoding == "utf-16-le"
    assert loaded.accepted[2].attributes["name"] == "José"


def test_cp1252(load: Load) -> None:
    content = "email,name,amount\na@example.com,Müller,5 €\nb@example.com,Jörg Straße,“quoted”\n"
    loaded = load("win.csv", content.encode("cp1252"), rows=2)
    assert loaded.reader.encoding == "cp1252"
    first, second = loaded.accepted
    assert first.attributes == {"email": "a@example.com", "name": "Müller", "amount": "5 €"}
    assert second.attributes["name"] == "Jörg Straße"
    assert second.attributes["amount"] == "“quoted”"


def test_latin1(load: Load) -> None:
    content = "email,name\na@example.com,François Lefèvre\nb@example.com,Élodie Núñez\n"
    loaded = load("latin.csv", content.encode("latin-1"), rows=2)
    # latin-1 text decodes identically as cp1252 (the WHATWG reading of "latin-1")
    assert loaded.reader.encoding in ("cp1252", "iso8859-1")
    names = [c.attributes["name"] for c in loaded.accepted]
    assert names == ["François Lefèvre", "Élodie Núñez"]


def test_explicit_encoding(load: Load) -> None:
    content = "email,name\na@example.com,Müller\n".encode("latin-1")
    loaded = load("x.csv", content, rows=1, encoding="latin-1")
    assert loaded.reader.encoding == "latin-1"
    assert loaded.accepted[0].attributes["name"] == "Müller"


def test_unknown_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("email\na@example.com\n")
    with pytest.raises(validation_error_type(), match="unknown encoding 'klingon'") as info:
        open_audience(path, ImportOptions(encoding="klingon"))
    assert info.value.code == "audience.encoding"


def test_utf8_file_with_one_invalid_byte_rejects_only_that_row(load: Load) -> None:
    lines = [
        "email,first_name,city",
        "a@example.com,Zoë,Köln",
        "b@example.com,José,Málaga",
        "c@example.com,Bj\udcffrn,Oslo",  # placeholder for the bad byte
        "d@example.com,Łukasz,Łódź",
        "e@example.com,Ørjan,Tromsø",
    ]
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"
    assert data.count(b"\xff") == 1
    loaded = load("export.csv", data, rows=5)
    assert loaded.reader.encoding == "utf-8"
    assert loaded.codes() == {3: "row.encoding"}
    bad = loaded.by_row(3)
    assert isinstance(bad, RejectedRow)
    assert "column 'first_name'" in bad.reason
    assert "line 4" in bad.reason
    assert "\\xff" in bad.reason
    assert bad.raw == ["c@example.com", "Bj\ufffdrn", "Oslo"]
    assert [c.attributes["city"] for c in loaded.accepted] == ["Köln", "Málaga", "Łódź", "Tromsø"]


def test_explicit_cp1252_with_undefined_byte(load: Load) -> None:
    data = b"email,name\na@example.com,ok\nb@example.com,x\x81y\nc@example.com,M\xfcller\n"
    loaded = load("x.csv", data, rows=3, encoding="cp1252")
    assert loaded.codes() == {2: "row.encoding"}
    assert loaded.accepted[-1].attributes["name"] == "Müller"


def test_utf16_with_unpaired_surrogate_rejects_that_row(load: Load) -> None:
    good = "email\tname\r\na@example.com\tAnn\r\n".encode("utf-16-le")
    bad = "b@example.com\tB".encode("utf-16-le") + b"\x00\xd8" + "\r\n".encode("utf-16-le")
    tail = "c@example.com\tCy\r\n".encode("utf-16-le")
    loaded = load("u16.txt", b"\xff\xfe" + good + bad + tail, rows=3)
    assert loaded.codes() == {2: "row.encoding"}
    assert loaded.keys() == ["a@example.com", "c@example.com"]


# ------------------------------------------------------------------------------- structure


def test_ragged_rows(load: Load) -> None:
    content = (
        "email,first_name,last_name\n"
        "a@example.com,Ann,Lee\n"
        "b@example.com,Bob,Ray,extra,more\n"
        "c@example.com,Cy\n"
        "d@example.com,Di,Fox\n"
    )
    loaded = load("r.csv", content, rows=4)
    assert loaded.codes() == {2: "row.ragged", 3: "row.ragged"}
    too_many = loaded.by_row(2)
    too_few = loaded.by_row(3)
    assert isinstance(too_many, RejectedRow) and isinstance(too_few, RejectedRow)
    assert too_many.reason == "expected 3 fields, got 5 (line 3)"
    assert too_few.reason == "expected 3 fields, got 2 (line 4)"
    assert too_many.raw == ["b@example.com", "Bob", "Ray", "extra", "more"]


def test_nul_byte(load: Load) -> None:
    data = b"email,name\na@example.com,An\x00n\nb@example.com,Bob\n\x00c@example.com,Cy\n"
    loaded = load("n.csv", data, rows=3)
    assert loaded.codes() == {1: "row.nul_byte", 3: "row.nul_byte"}
    first = loaded.by_row(1)
    assert isinstance(first, RejectedRow)
    assert first.reason == "NUL character in column 'name' (line 2)"
    assert loaded.keys() == ["b@example.com"]


def test_quoted_newlines_are_one_row(load: Load) -> None:
    content = (
        "email,address,city\r\n"
        'a@example.com,"1 Main St\r\nApt 4",Springfield\r\n'
        'b@example.com,"line one\nline two\nline three",Shelbyville\r\n'
        "c@example.com,Elm St,Ogdenville\r\n"
        "d@example.com,too,many,fields\r\n"
    )
    loaded = load("q.csv", content, rows=4)
    assert loaded.accepted[0].attributes["address"] == "1 Main St\r\nApt 4"
    assert loaded.accepted[1].attributes["address"] == "line one\nline two\nline three"
    assert loaded.accepted[2].row == 3
    ragged = loaded.by_row(4)
    assert isinstance(ragged, RejectedRow)
    assert "line 8" in ragged.reason  # physical line: header 1, a 2-3, b 4-6, c 7, d 8


def test_blank_lines_are_not_rows(load: Load) -> None:
    content = "\n\nemail,name\n\na@example.com,Ann\n\n\nb@example.com,Bob\n \n,\n\n"
    loaded = load("b.csv", content, rows=4)
    # Completely empty lines are skipped without a row number; " " and "," are rows.
    assert loaded.keys() == ["a@example.com", "b@example.com"]
    assert loaded.codes() == {3: "row.ragged", 4: "key.missing"}
    whitespace = loaded.by_row(3)
    assert isinstance(whitespace, RejectedRow)
    assert "(line 9)" in whitespace.reason


def test_trailing_newline_is_not_a_row(load: Load) -> None:
    assert load("t.csv", "email\na@example.com\n", rows=1).keys() == ["a@example.com"]
    assert load("t2.csv", "email\na@example.com", rows=1).keys() == ["a@example.com"]
    assert load("t3.csv", "email\r\na@example.com\r\n\r\n", rows=1).keys() == ["a@example.com"]


def test_crlf_line_endings(load: Load) -> None:
    content = "email,name,consent\r\na@example.com,Ann,yes\r\nb@example.com,Bob,no\r\n"
    loaded = load("crlf.csv", content, rows=2)
    assert [c.attributes["consent"] for c in loaded.accepted] == ["yes", "no"]
    assert [c.consent for c in loaded.accepted] == ["granted", "denied"]
    assert all("\r" not in v for c in loaded.accepted for v in c.attributes.values())


def test_cr_only_line_endings(load: Load) -> None:
    content = 'email,name\ra@example.com,Ann\rb@example.com,"two\rlines"\r'
    loaded = load("mac.csv", content, rows=2)
    assert loaded.accepted[1].attributes["name"] == "two\rlines"


def test_unterminated_quote_is_reported_not_swallowed_silently(load: Load) -> None:
    content = 'email,name\na@example.com,Ann\nb@example.com,"Bob\nc@example.com,Cy\n'
    loaded = load("u.csv", content, rows=2)
    assert loaded.codes() == {2: "row.malformed"}
    bad = loaded.by_row(2)
    assert isinstance(bad, RejectedRow)
    assert "unterminated quote" in bad.reason
    assert "lines 3-4" in bad.reason


def test_text_after_closing_quote_is_malformed(load: Load) -> None:
    content = 'email,name\na@example.com,"Ann"x\nb@example.com,Bob\n'
    loaded = load("u.csv", content, rows=2)
    assert loaded.codes() == {1: "row.malformed"}
    assert loaded.keys() == ["b@example.com"]


def test_stray_carriage_return_is_malformed(load: Load) -> None:
    loaded = load("cr.csv", b"email,name\na@example.com,A\rB\nb@example.com,Bob\n", rows=2)
    assert loaded.codes() == {1: "row.malformed"}
    bad = loaded.by_row(1)
    assert isinstance(bad, RejectedRow) and "(CR)" in bad.reason


def test_100k_character_field_is_accepted(load: Load) -> None:
    big = "x" * 100_000
    content = f'email,bio\na@example.com,"{big}"\nb@example.com,short\n'
    loaded = load("big.csv", content, rows=2)
    assert loaded.accepted[0].attributes["bio"] == big
    assert csv.field_size_limit() > 100_000


def test_field_over_max_field_chars_is_rejected(load: Load) -> None:
    long_value = "y" * 51
    multi_line = "z" * 30 + "\n" + "z" * 30
    content = (
        "email,bio\n"
        f"a@example.com,{long_value}\n"
        f'b@example.com,"{multi_line}"\n'
        f"c@example.com,{'w' * 50}\n"
    )
    loaded = load("big.csv", content, rows=3, max_field_chars=50)
    assert loaded.codes() == {1: "field.too_long", 2: "field.too_long"}
    first = loaded.by_row(1)
    assert isinstance(first, RejectedRow)
    assert first.reason == "field in column 'bio' has 51 characters (limit 50) (line 2)"
    second = loaded.by_row(2)
    assert isinstance(second, RejectedRow) and "(lines 3-4)" in second.reason
    assert loaded.keys() == ["c@example.com"]


def test_field_beyond_csv_limit_is_rejected(load: Load) -> None:
    huge = "h" * 2_000
    content = f'email,bio\na@example.com,"{huge}"\nb@example.com,ok\n'
    old = csv.field_size_limit()
    try:
        csv.field_size_limit(1_000)  # someone else lowered the process-wide limit
        loaded = load("huge.csv", content, rows=2, max_field_chars=100)
    finally:
        csv.field_size_limit(old)
    assert loaded.codes() == {1: "field.too_long"}
    assert loaded.keys() == ["b@example.com"]


# ------------------------------------------------------------------------------ validation


def test_duplicate_keys_keep_the_first(load: Load) -> None:
    content = (
        "email,name\n"
        "Ann@Example.com,first\n"
        "bob@example.com,bob\n"
        "  ann@example.COM ,second\n"
        "ANN@EXAMPLE.COM,third\n"
    )
    loaded = load("d.csv", content, rows=4)
    assert loaded.codes() == {3: "key.duplicate", 4: "key.duplicate"}
    dup = loaded.by_row(3)
    assert isinstance(dup, RejectedRow)
    assert dup.reason == "duplicate key 'ann@example.com' in column 'email' (first seen at row 1)"
    first = loaded.accepted[0]
    assert first.key == "ann@example.com"
    assert first.email == "Ann@Example.com"  # stripped, case kept


def test_duplicate_of_a_rejected_row_is_kept(load: Load) -> None:
    content = "email,consent\na@example.com,maybe\na@example.com,yes\na@example.com,no\n"
    loaded = load("d.csv", content, rows=3)
    assert loaded.codes() == {1: "consent.invalid", 3: "key.duplicate"}
    assert loaded.accepted[0].row == 2
    dup = loaded.by_row(3)
    assert isinstance(dup, RejectedRow) and "first seen at row 2" in dup.reason


def test_non_email_keys_are_case_sensitive(load: Load) -> None:
    content = "customer_id,email\nAB1,a@example.com\nab1,b@example.com\n AB1 ,c@example.com\n"
    loaded = load("ids.csv", content, rows=3, key="customer_id")
    assert loaded.keys() == ["AB1", "ab1"]
    assert loaded.codes() == {3: "key.duplicate"}


def test_many_keys_grow_the_duplicate_table(load: Load) -> None:
    lines = ["email"] + [f"user{i}@example.com" for i in range(5000)]
    lines += ["user0@example.com", "user4999@example.com", "USER2500@example.com"]
    loaded = load("many.jsonl.csv", "\n".join(lines) + "\n", rows=5003)
    assert len(loaded.accepted) == 5000
    assert loaded.codes() == {5001: "key.duplicate", 5002: "key.duplicate", 5003: "key.duplicate"}
    reasons = [r.reason for r in loaded.rejected]
    assert "(first seen at row 1)" in reasons[0]
    assert "(first seen at row 5000)" in reasons[1]
    assert "(first seen at row 2501)" in reasons[2]


def test_missing_key(load: Load) -> None:
    content = "email,name\n,nobody\n   ,blank\na@example.com,ok\n"
    loaded = load("k.csv", content, rows=3)
    assert loaded.codes() == {1: "key.missing", 2: "key.missing"}
    missing = loaded.by_row(1)
    assert isinstance(missing, RejectedRow) and missing.reason == "empty key in column 'email'"


@pytest.mark.parametrize(
    "email",
    [
        "bob@",
        "@example.com",
        "bob",
        "bob@example",
        "bob@@example.com",
        "bob smith@example.com",
        "bob@exa mple.com",
        "bob@-example.com",
        "bob@example-.com",
        "bob@example..com",
        "bob@.example.com",
        "bob@example.com.",
        "bób@example.com",
        "a@" + "b" * 64 + ".com",
        "x" * 250 + "@example.com",
    ],
)
def test_invalid_email(load: Load, email: str) -> None:
    content = f"customer_id,E-Mail\n1,{email}\n2,ok@example.com\n"
    loaded = load("e.csv", content, rows=2)
    assert loaded.codes() == {1: "email.invalid"}
    bad = loaded.by_row(1)
    assert isinstance(bad, RejectedRow)
    assert bad.reason.startswith("invalid email in column 'E-Mail': ")


@pytest.mark.parametrize(
    "email",
    [
        "simple@example.com",
        "first.last+tag@sub.example.co.uk",
        "o'brien@example.ie",
        "x@münchen.de",
        "user@例え.jp",
        "a_b-c@x-y.io",
        "a@b.c",
    ],
)
def test_valid_email(load: Load, email: str) -> None:
    loaded = load("e.csv", f"customer_id,email\n1,{email}\n", rows=1)
    assert loaded.accepted[0].email == email


def test_missing_email_is_fine_unless_required_or_key(load: Load) -> None:
    content = "customer_id,email\n1,\n2,b@example.com\n"
    loaded = load("e.csv", content, rows=2, key="customer_id")
    assert [c.email for c in loaded.accepted] == [None, "b@example.com"]
    loaded = load("e2.csv", content, rows=2, key="customer_id", required=("email",))
    assert loaded.codes() == {1: "field.required"}
    loaded = load("e3.csv", content, rows=2, key="email")
    assert loaded.codes() == {1: "key.missing"}


def test_required_fields(load: Load) -> None:
    content = (
        "email,Vorname,Company\n"
        "a@example.com,Ann,ACME\n"
        "b@example.com,,ACME\n"
        "c@example.com,Cy,  \n"
        "d@example.com,Di,Initech\n"
    )
    loaded = load("r.csv", content, rows=4, required=("first_name", "company"))
    assert loaded.codes() == {2: "field.required", 3: "field.required"}
    assert [r.reason for r in loaded.rejected] == [
        "required column 'Vorname' is empty",
        "required column 'Company' is empty",
    ]


@pytest.mark.parametrize(
    ("value", "consent"),
    [
        ("yes", "granted"),
        ("Y", "granted"),
        ("TRUE", "granted"),
        ("1", "granted"),
        ("Opt-In", "granted"),
        ("opted in", "granted"),
        ("subscribed", "granted"),
        (" Double-Opt-In ", "granted"),
        ("consented", "granted"),
        ("no", "denied"),
        ("N", "denied"),
        ("false", "denied"),
        ("0", "denied"),
        ("opt_out", "denied"),
        ("Unsubscribed", "denied"),
        ("revoked", "denied"),
        ("withdrawn", "denied"),
        ("", "unknown"),
        ("   ", "unknown"),
        ("unknown", "unknown"),
    ],
)
def test_consent_values(load: Load, value: str, consent: str) -> None:
    loaded = load("c.csv", f"email,opt_in\na@example.com,{value}\n", rows=1)
    assert loaded.reader.mapping["consent"] == "opt_in"
    assert loaded.accepted[0].consent == consent


@pytest.mark.parametrize("value", ["maybe", "2", "yes please", "ja?"])
def test_invalid_consent(load: Load, value: str) -> None:
    loaded = load("c.csv", f"email,Marketing Consent\na@example.com,{value}\n", rows=1)
    assert loaded.codes() == {1: "consent.invalid"}
    bad = loaded.by_row(1)
    assert isinstance(bad, RejectedRow)
    assert bad.reason == f"unrecognized consent value in column 'Marketing Consent': {value!r}"


def test_no_consent_column_means_unknown(load: Load) -> None:
    loaded = load("c.csv", "email\na@example.com\n", rows=1)
    assert loaded.accepted[0].consent == "unknown"
    assert loaded.accepted[0].consent_source is None
    assert loaded.accepted[0].consent_at is None


def test_consent_source_and_timestamp(load: Load) -> None:
    content = (
        "email,consent,consent_source,opt_in_date\n"
        "a@example.com,yes, signup form ,2024-05-31\n"
        "b@example.com,yes,,2024-05-31T14:30:00Z\n"
        "c@example.com,yes,import,2024-05-31 14:30:00+02:00\n"
        "d@example.com,yes,import,\n"
        "e@example.com,yes,import,31/05/2024\n"
        "f@example.com,yes,import,2024-02-30\n"
    )
    loaded = load("c.csv", content, rows=6)
    assert loaded.reader.mapping["consent_at"] == "opt_in_date"
    assert [c.consent_at for c in loaded.accepted] == [
        "2024-05-31",
        "2024-05-31T14:30:00+00:00",
        "2024-05-31T14:30:00+02:00",
        None,
    ]
    assert [c.consent_source for c in loaded.accepted] == ["signup form", None, "import", "import"]
    assert loaded.codes() == {5: "consent_at.invalid", 6: "consent_at.invalid"}
    bad = loaded.by_row(5)
    assert isinstance(bad, RejectedRow) and "column 'opt_in_date'" in bad.reason


@pytest.mark.parametrize(
    ("value", "locale"),
    [
        ("de_DE", "de-DE"),
        ("de-de", "de-DE"),
        ("EN", "en"),
        ("zh-Hans-CN", "zh-Hans-CN"),
        ("pt-BR", "pt-BR"),
        ("ar", "ar"),
        (" fr_CA ", "fr-CA"),
        ("", None),
    ],
)
def test_locale_normalization(load: Load, value: str, locale: str | None) -> None:
    loaded = load("l.csv", f"email,Language\na@example.com,{value}\n", rows=1)
    assert loaded.accepted[0].locale == locale


@pytest.mark.parametrize("value", ["xx", "english", "de_DE_x_y!", "12", "fr-DE"])
def test_invalid_locale(load: Load, value: str) -> None:
    loaded = load("l.csv", f"email,locale\na@example.com,{value}\n", rows=1)
    assert loaded.codes() == {1: "locale.invalid"}
    bad = loaded.by_row(1)
    assert isinstance(bad, RejectedRow)
    assert bad.reason == f"invalid locale in column 'locale': {value!r}"


def test_locale_is_parsed_once_per_distinct_value(
    load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = validation.normalize_locale

    def counting(value: str) -> str | None:
        calls.append(value)
        return original(value)

    monkeypatch.setattr(validation, "normalize_locale", counting)
    values = ["de_DE", "en", "xx", "de_DE", "en", "xx"] * 50
    lines = ["email,locale"] + [f"u{i}@example.com,{v}" for i, v in enumerate(values)]
    loaded = load("l.csv", "\n".join(lines) + "\n", rows=300)
    assert sorted(calls) == ["de_DE", "en", "xx"]
    assert len(loaded.rejected) == 100


def test_first_failing_reason_wins(load: Load) -> None:
    content = "email,consent,locale\nbad@,maybe,xx\na@example.com,maybe,xx\nb@example.com,yes,xx\n"
    loaded = load("o.csv", content, rows=3)
    assert loaded.codes() == {1: "email.invalid", 2: "consent.invalid", 3: "locale.invalid"}


# --------------------------------------------------------------------- mapping & attributes


def test_automatic_mapping_and_attributes(load: Load) -> None:
    content = (
        "Customer ID,E-Mail Address,Vorname,Surname,Lang,Opt-In,Opt-In Date,Consent Source,Tier\n"
        "C1, Ann@Example.com ,Ann,Lee,de_DE,yes,2024-01-02,web,gold\n"
    )
    loaded = load("m.csv", content, rows=1)
    assert loaded.reader.mapping == {
        "id": "Customer ID",
        "email": "E-Mail Address",
        "locale": "Lang",
        "first_name": "Vorname",
        "last_name": "Surname",
        "consent": "Opt-In",
        "consent_source": "Consent Source",
        "consent_at": "Opt-In Date",
    }
    assert loaded.reader.key_column == "E-Mail Address"
    contact = loaded.accepted[0]
    assert contact == ContactRow(
        row=1,
        key="ann@example.com",
        email="Ann@Example.com",
        locale="de-DE",
        consent="granted",
        consent_source="web",
        consent_at="2024-01-02",
        attributes={
            "customer_id": "C1",
            "e_mail_address": " Ann@Example.com ",
            "vorname": "Ann",
            "surname": "Lee",
            "lang": "de_DE",
            "opt_in": "yes",
            "opt_in_date": "2024-01-02",
            "consent_source": "web",
            "tier": "gold",
            "id": "C1",
            "email": " Ann@Example.com ",
            "locale": "de_DE",
            "first_name": "Ann",
            "last_name": "Lee",
            "consent": "yes",
            "consent_at": "2024-01-02",
        },
        email_row=1,
    )
    variables = loaded.reader.variables
    assert variables[:9] == [
        "customer_id",
        "e_mail_address",
        "vorname",
        "surname",
        "lang",
        "opt_in",
        "opt_in_date",
        "consent_source",
        "tier",
    ]
    assert set(variables) == set(contact.attributes) | {"key"}
    assert len(variables) == len(set(variables))


def test_variable_names_are_unique_and_never_empty(load: Load) -> None:
    content = "email,First Name,first_name,,???,Prénom\na@example.com,A,B,C,D,E\n"
    loaded = load("v.csv", content, rows=1)
    attributes = loaded.accepted[0].attributes
    assert attributes == {
        "email": "a@example.com",
        "first_name": "A",
        "first_name_2": "B",
        "column_4": "C",
        "column_5": "D",
        "prénom": "E",
    }


def test_column_overrides_win(load: Load) -> None:
    content = "email,Work Mail,Sprache,Given\na@example.com,w@example.com,fr,Ann\n"
    loaded = load(
        "o.csv",
        content,
        rows=1,
        columns={"email": "Work Mail", "locale": "sprache", "first_name": "Given"},
    )
    assert loaded.reader.mapping == {
        "email": "Work Mail",
        "locale": "Sprache",
        "first_name": "Given",
    }
    contact = loaded.accepted[0]
    assert contact.key == "w@example.com"
    assert contact.locale == "fr"
    assert contact.attributes["first_name"] == "Ann"
    assert contact.attributes["email"] == "w@example.com"  # canonical name wins


def test_key_by_header_or_canonical_name(load: Load) -> None:
    content = "Member No,contact_id,email\nM1,C1,a@example.com\n"
    assert load("k.csv", content, rows=1, key="Member No").keys() == ["M1"]
    assert load("k2.csv", content, rows=1, key="member no").keys() == ["M1"]
    assert load("k3.csv", content, rows=1, key="id").keys() == ["C1"]
    assert load("k4.csv", content, rows=1, key="key").keys() == ["C1"]
    assert load("k5.csv", content, rows=1).keys() == ["a@example.com"]


def test_id_is_the_key_when_there_is_no_email(load: Load) -> None:
    loaded = load("k.csv", "external_id,name\nX-1,Ann\n", rows=1)
    assert loaded.reader.key_column == "external_id"
    assert loaded.accepted[0].key == "X-1"
    assert loaded.accepted[0].email is None


def test_reading_twice_gives_the_same_rows(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("email\na@example.com\na@example.com\nb@example.com\n")
    reader = open_audience(path)
    assert list(reader) == list(reader)


def test_contact_rows_are_plain_dataclasses(load: Load) -> None:
    contact = load("p.csv", "email\na@example.com\n", rows=1).accepted[0]
    rebuilt = ContactRow(
        contact.row,
        contact.key,
        contact.email,
        contact.locale,
        contact.consent,
        contact.consent_source,
        contact.consent_at,
        contact.attributes,
        contact.email_row,
    )
    assert contact == rebuilt
    assert repr(contact) == repr(rebuilt)


# ------------------------------------------------------------------------ file-level errors


def validation_error_type() -> type[Exception]:
    from brandloom.audiences.errors import AudienceError

    return AudienceError


def _open_error(path: Path, **options: object) -> tuple[str, str, int]:
    from brandloom.audiences.errors import AudienceError

    with pytest.raises(AudienceError) as info:
        open_audience(path, ImportOptions(**options))  # type: ignore[arg-type]
    return info.value.code, info.value.message, info.value.status


def test_missing_file(tmp_path: Path) -> None:
    code, message, status = _open_error(tmp_path / "nope.csv")
    assert code == "audience.not_found" and "nope.csv" in message and status == 422


def test_directory_is_unreadable(tmp_path: Path) -> None:
    code, _, _ = _open_error(tmp_path)
    assert code == "audience.unreadable"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, message, _ = _open_error(path)
    assert code == "audience.empty" and "empty" in message


def test_blank_file_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n\n  \n,,\n")
    code, message, _ = _open_error(path)
    assert code == "audience.empty" and "no header" in message


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("email\na@example.com\n")
    code, message, _ = _open_error(path, format="xml")
    assert code == "audience.format" and "'xml'" in message


def test_legacy_xls_and_binary_content(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert _open_error(xls)[0] == "audience.format"
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100))
    assert _open_error(blob)[0] == "audience.format"


def test_key_column_not_found(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("email,name\na@example.com,Ann\n")
    code, message, _ = _open_error(path, key="Member No")
    assert code == "audience.mapping"
    assert "key column 'Member No' not found" in message
    assert "'email', 'name'" in message


def test_no_usable_key_column(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("name,city\nAnn,Paris\n")
    code, message, _ = _open_error(path)
    assert code == "audience.mapping" and "no key column" in message


def test_override_naming_a_missing_header(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("email,name\na@example.com,Ann\n")
    code, message, _ = _open_error(path, columns={"first_name": "Vorname"})
    assert code == "audience.mapping"
    assert "column 'Vorname' (mapped to 'first_name') does not exist" in message


def test_override_with_unknown_field(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("email,name\na@example.com,Ann\n")
    code, message, _ = _open_error(path, columns={"nickname": "name"})
    assert code == "audience.mapping" and "unknown contact field 'nickname'" in message


def test_unknown_required_field(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("email,name\na@example.com,Ann\n")
    code, message, _ = _open_error(path, required=("phone",))
    assert code == "audience.mapping" and "required column 'phone' not found" in message


def test_bad_options(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("email\na@example.com\n")
    assert _open_error(path, delimiter=";;")[0] == "audience.options"
    assert _open_error(path, max_field_chars=0)[0] == "audience.options"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16-le", "utf-16"])
def test_explicit_encoding_with_its_bom(load: Load, encoding: str) -> None:
    codec = "utf-16-le" if encoding.startswith("utf-16") else "utf-8"
    bom = b"\xff\xfe" if codec == "utf-16-le" else b"\xef\xbb\xbf"
    loaded = load(
        "b.csv", bom + "email,name\na@example.com,Zoë\n".encode(codec), rows=1, encoding=encoding
    )
    assert loaded.reader.headers == ["email", "name"]
    assert loaded.accepted[0].attributes["name"] == "Zoë"
