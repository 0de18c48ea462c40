"""Writing rejected rows back out as a spreadsheet-safe CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Final

#: First characters that make Excel/LibreOffice/Sheets treat a cell as a formula (OWASP "CSV
#: injection"), plus their full-width forms, which some spreadsheet apps normalize.
DANGEROUS_PREFIXES: Final = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def neutralize_cell(value: str) -> str:
    """Prefix ``'`` to a cell starting with ``= + - @``, tab or CR so it is shown as text."""
    if value and value[0] in DANGEROUS_PREFIXES:
        return "'" + value
    return value


def write_rejects_csv(
    path: Path,
    header: list[str],
    rows: Iterable[tuple[int, str, list[str]]],
    *,
    delimiter: str = ",",
) -> int:
    """Write ``row, reason, *raw fields`` under ``["row", "reason", *header]``; returns the
    number of data rows written.

    UTF-8 with a BOM and the input's ``delimiter``: Excel reads a CSV without a BOM in the
    system's ANSI code page and splits it on the locale's list separator, so a file from a
    European spreadsheet (cp1252, ``;``) would come back as mojibake in one column. ``\\r\\n``
    line ends, minimal quoting; every cell (header included) goes through
    :func:`neutralize_cell`. Characters that cannot be encoded (lone surrogates) are written
    as ``?``.
    """
    count = 0
    with Path(path).open("w", encoding="utf-8-sig", errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        writer.writerow([neutralize_cell(h) for h in ("row", "reason", *header)])
        for row, reason, raw in rows:
            writer.writerow([str(row), neutralize_cell(reason), *(neutralize_cell(v) for v in raw)])
            count += 1
    return count
