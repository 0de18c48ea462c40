"""Texts from a file or stdin, one result per input text, in order.

The rule every text command follows (``analyze``; later ``voice score``, ``voice lint``,
``predict``): a ``.csv``/``.tsv`` file is read as CSV with a ``text`` column; anything else holds
one text per line, split on ``\\n`` only (``\\r\\n`` accepted), blank lines included; ``-`` reads
stdin. A final line break ends the last line rather than starting an empty one.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from brandloom.errors import ValidationFailed
from brandloom.kit.text import decode_utf8

STDIN = "-"


class TextInputError(ValidationFailed):
    code = "input.invalid"


def _decode(data: bytes, source: str) -> str:
    return decode_utf8(data, source, error=TextInputError)


def read_texts(path: str, *, column: str = "text") -> Iterator[str]:
    """Each text of ``path`` (or stdin for ``-``), in order; ``column`` names the CSV column."""
    if path == STDIN:
        source = "stdin"
        data = sys.stdin.buffer.read()
    else:
        file = Path(path)
        source = str(file)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise TextInputError(f"{source}: no such file") from None
        except IsADirectoryError:
            raise TextInputError(f"{source}: is a folder, not a file") from None
        if file.suffix.lower() in (".csv", ".tsv"):
            rows = _csv_rows(
                _decode(data, source), source, file.suffix.lower() == ".tsv", (column,)
            )
            for (value,) in rows:
                yield value
            return
    text = _decode(data, source)
    if not text:
        return
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line break ends the last line
    for line in lines:
        yield line[:-1] if line.endswith("\r") else line


def read_columns(path: str, *columns: str) -> Iterator[tuple[str, ...]]:
    """The named columns of a CSV/TSV file, row by row (a missing cell reads as empty)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise TextInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TextInputError(f"{path}: is a folder, not a file") from None
    if file.suffix.lower() not in (".csv", ".tsv"):
        raise TextInputError(f"{path}: expected a .csv or .tsv file")
    yield from _csv_rows(_decode(data, path), path, file.suffix.lower() == ".tsv", columns)


def _csv_rows(
    text: str, source: str, tab: bool, columns: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab else ",")
    header = next(reader, None)
    wanted = " and ".join(repr(c) for c in columns)
    if header is None:
        raise TextInputError(f"{source}: empty file; expected a header row with {wanted}")
    names = [name.strip().lower() for name in header]
    indexes = []
    for column in columns:
        if column.lower() not in names:
            raise TextInputError(
                f"{source}, line 1: no {column!r} column (columns: {', '.join(header) or 'none'})"
            )
        indexes.append(names.index(column.lower()))
    for row in reader:
        yield tuple(row[i] if i < len(row) else "" for i in indexes)  # blank: empty, not lost
