"""Rejected rows written back out: spreadsheet-safe and a faithful CSV."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.audiences.export import DANGEROUS_PREFIXES, neutralize_cell, write_rejects_csv
from brandloom.audiences.reader import RejectedRow, open_audience


def test_neutralize_cell_examples() -> None:
    assert neutralize_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert neutralize_cell("+1 555") == "'+1 555"
    assert neutralize_cell("-2") == "'-2"
    assert neutralize_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize_cell("\tx") == "'\tx"
    assert neutralize_cell("\r=x") == "'\r=x"
    assert neutralize_cell("＝1+1") == "'＝1+1"
    assert neutralize_cell("") == ""
    assert neutralize_cell("Ann") == "Ann"
    assert neutralize_cell("a=b") == "a=b"
    assert neutralize_cell("'=already") == "'=already"


@given(st.text())
def test_neutralized_cells_never_start_with_a_formula_character(value: str) -> None:
    out = neutralize_cell(value)
    assert not out or out[0] not in DANGEROUS_PREFIXES
    assert out in (value, "'" + value)


def _read_back(path: Path, delimiter: str = ",") -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, so Excel reads it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=10**7),
        st.text(),
        st.lists(st.text(), min_size=0, max_size=5),
    ),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(header=st.lists(st.text(), max_size=5), rows=rows_strategy)
def test_write_rejects_csv_round_trips(
    header: list[str], rows: list[tuple[int, str, list[str]]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rejected.csv"
        count = write_rejects_csv(path, header, rows)
        assert count == len(rows)
        back = _read_back(path)
    assert back[0] == [neutralize_cell(h) for h in ["row", "reason", *header]]
    assert len(back) == len(rows) + 1
    for (row, reason, raw), written in zip(rows, back[1:], strict=True):
        assert written == [str(row), neutralize_cell(reason), *(neutralize_cell(v) for v in raw)]
        assert all(not cell or cell[0] not in DANGEROUS_PREFIXES for cell in written)


def test_rejects_from_a_real_import(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(
        b"email,name,note\n"
        b"a@example.com,Zo\xc3\xab,ok\n"
        b"bad@,=cmd|' /C calc'!A0,\"multi\nline\"\n"
        b"c@example.com,B\xffb,x\n"
        b"d@example.com,too,many,fields\n"
    )
    reader = open_audience(source)
    rejected = [i for i in reader if isinstance(i, RejectedRow)]
    out = tmp_path / "rejected.csv"
    count = write_rejects_csv(out, reader.headers, ((r.row, r.reason, r.raw) for r in rejected))
    assert count == 3
    back = _read_back(out)
    assert back[0] == ["row", "reason", "email", "name", "note"]
    assert back[1] == [
        "2",
        "invalid email in column 'email': 'bad@' (the domain is empty)",
        "bad@",
        "'=cmd|' /C calc'!A0",
        "multi\nline",
    ]
    assert back[2][0] == "3" and back[2][3] == "B\ufffdb"
    assert back[3] == [
        "4",
        "expected 3 fields, got 4 (line 6)",
        "d@example.com",
        "too",
        "many",
        "fields",
    ]


def test_lone_surrogates_do_not_break_the_writer(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert write_rejects_csv(out, ["a"], [(1, "bad", ["x\udcffy"])]) == 1
    assert _read_back(out)[1] == ["1", "bad", "x?y"]


def test_the_input_delimiter_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    write_rejects_csv(out, ["name", "amount"], [(2, "bad; very", ["Zoë", "1,5"])], delimiter=";")
    assert out.read_bytes()[3:].decode() == ('row;reason;name;amount\r\n2;"bad; very";Zoë;1,5\r\n')
    assert _read_back(out, ";")[1] == ["2", "bad; very", "Zoë", "1,5"]
