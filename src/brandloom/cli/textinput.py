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


def read_texts(path: str) -> Iterator[str]:
    """Each text of ``path`` (or stdin for ``-``), in order."""
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
            yield from _csv_texts(_decode(data, source), source, file.suffix.lower() == ".tsv")
            return
    text = _decode(data, source)
    if not text:
        return
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line break ends the last line
    for line in lines:
        yield line[:-1] if line.endswith("\r") else line


def _csv_texts(text: str, source: str, tab: bool) -> Iterator[str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab else ",")
    header = next(reader, None)
    if header is None:
        raise TextInputError(f"{source}: empty file; expected a header row with a 'text' column")
    names = [name.strip().lower() for name in header]
    if "text" not in names:
        raise TextInputError(
            f"{source}, line 1: no 'text' column (columns: {', '.join(header) or 'none'})"
        )
    column = names.index("text")
    for row in reader:
        if not row:
            yield ""  # a blank line is an empty text, not a lost row
            continue
        yield row[column] if column < len(row) else ""
