"""Streaming audience file reader with per-row validation (pure: no database).

``open_audience(path, options)`` inspects the file (format, encoding, delimiter, header, column
mapping) and raises :class:`AudienceError` for anything that makes the *whole* file unusable.
Iterating the returned :class:`AudienceReader` then yields, in file order, one
:class:`ContactRow` or :class:`RejectedRow` per data row; every data row comes out exactly once.
Each iteration re-reads the file from the start (with a fresh duplicate-key index).

What counts as a data row
    * CSV/TSV: every *record* after the header; a record with quoted newlines is one row.
      Completely empty lines (zero characters before the line break) are not rows and consume no
      row number; a trailing newline at EOF is therefore not a row either. A line holding only
      spaces or only delimiters *is* a row (and is rejected: ragged or empty key).
    * JSONL: every line after stripping whitespace that is not empty; the header is the list of
      keys of the first line that holds a JSON object (that line is data row 1 like any other).
      Keys that first appear in later objects are still exported in ``attributes`` but are not
      part of ``headers``/``variables``.
    * XLSX: every row after the header row (the first row with a non-empty cell) that has at least
      one non-empty cell; completely empty rows are skipped like blank CSV lines.

Row numbers are 1-based *data row* numbers (the header is not a row). Reasons of structural
rejects also name the physical line(s) of the file so the row can be found in an editor.

Encoding (CSV/TSV/JSONL): a BOM wins (UTF-8, UTF-16/32 LE/BE); otherwise the first MiB is tried
as UTF-8 and kept as UTF-8 if it decodes or if valid multi-byte UTF-8 sequences outnumber the
invalid bytes (a UTF-8 export with a few corrupt bytes); otherwise charset-normalizer guesses,
preferring cp1252 whenever it reads the sample as well as the guess (latin-1 files decode
identically in cp1252). Lines are decoded one by one, so an undecodable byte rejects only its own
row (``row.encoding``). Known weakness: a pure-ASCII first MiB followed by cp1252 text is read as
UTF-8 and the later non-ASCII rows are rejected rather than mis-decoded.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import orjson

from brandloom.audiences.errors import AudienceError
from brandloom.audiences.mapping import ColumnPlan, plan_columns, variable_name
from brandloom.audiences.types import TypeParser, check_types, type_parser
from brandloom.audiences.validation import (
    ContactRow,
    RejectedRow,
    Result,
    Validator,
    build_validator,
)

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

__all__ = [
    "AudienceReader",
    "ContactRow",
    "ImportOptions",
    "RejectedRow",
    "open_audience",
]

FORMATS: Final = ("csv", "tsv", "jsonl", "xlsx")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    key: str | None = None  # header or canonical field of the contact key; default: email, else id
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical field -> header
    required: tuple[str, ...] = ()  # canonical fields or headers that must be non-empty
    format: str | None = None  # "csv" | "tsv" | "jsonl" | "xlsx"; None: extension, then content
    delimiter: str | None = None  # None: sniffed among , ; \t |
    encoding: str | None = None  # None: detected
    sheet: str | None = None  # xlsx sheet name (default: first)
    max_field_chars: int = 1_000_000  # longer fields reject the row (field.too_long)
    # variable name -> declared type (see brandloom.audiences.types); undeclared: text
    types: Mapping[str, str] = field(default_factory=dict)
    locale: str | None = None  # how typed numbers and dates are written ("de-DE")
    date_format: str | None = None  # CLDR ("dd.MM.yyyy") or strftime ("%d.%m.%Y") pattern
    datetime_format: str | None = None  # the same for datetime columns


_DEFAULT_OPTIONS: Final = ImportOptions()

_EXTENSIONS: Final = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_SAMPLE_BYTES: Final = 1 << 20
_SNIFF_CHARS: Final = 64 * 1024
_DELIMITERS: Final = ",;\t|"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)
_XLSX_ERRORS: Final = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)

# Undecodable bytes become U+DC00 + byte (like "surrogateescape", but for every byte value and
# every codec). Strict decoders never produce lone surrogates, so they mark exactly the bad bytes.
_ESCAPE: Final = "brandloom.audience.escape"


def _escape_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(_ESCAPE, _escape_bad_bytes)

_BAD_CHAR: Final = re.compile("[\udc00-\udcff]")
_BAD_RUN: Final = re.compile("[\udc00-\udcff]+")
_SUSPICIOUS: Final = re.compile("[\x00\udc00-\udcff]")

# Issues noticed while reading physical lines, resolved when the record is complete.
_ENCODING: Final = 0
_NUL: Final = 1
_LONG: Final = 2
_Issue = tuple[int, int]  # (kind, physical line number)


# ------------------------------------------------------------------------------- detection
@dataclass(frozen=True, slots=True)
class _Encoding:
    name: str  # as reported on the reader ("utf-8", "utf-8-sig", "cp1252", ...)
    codec: str  # Python codec used after the BOM
    bom: int  # bytes to skip at the start
    text_mode: bool  # decode through TextIOWrapper (not ASCII-compatible, or CR line ends)


def _ascii_compatible(codec: str) -> bool:
    if codec in ("utf-7",) or codec.startswith(("iso2022", "hz")):
        return False
    probe = 'a,;\t|"{}[]:\r\n'
    try:
        return probe.encode(codec) == probe.encode("ascii")
    except (UnicodeError, LookupError):
        return False


def _make_encoding(name: str, codec: str, bom: int, sample: bytes) -> _Encoding:
    text_mode = not _ascii_compatible(codec)
    if not text_mode:
        body = sample[bom:]
        # Classic-Mac files break lines with CR only: let TextIOWrapper split on it.
        text_mode = b"\r" in body and b"\n" not in body
    return _Encoding(name, codec, bom, text_mode)


def _bomless_utf16(sample: bytes) -> str | None:
    head = sample[:4096]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _mostly_utf8(sample: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return True
    except UnicodeDecodeError:
        pass
    text = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode(sample, final=complete)
    bad = len(_BAD_CHAR.findall(text))
    non_ascii = len(re.findall("[^\x00-\x7f]", text))
    return non_ascii - bad >= max(bad, 1)


def _guess_legacy(sample: bytes) -> str:
    from charset_normalizer import from_bytes

    results = from_bytes(sample)
    best = results.best()
    try:
        western: str | None = sample.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if best is None:
        return "cp1252" if western is not None else "latin-1"
    if western is not None and (
        str(best) == western
        or any(r.encoding == "cp1252" and r.chaos <= best.chaos for r in results)
    ):
        return "cp1252"
    return str(best.encoding)


def _detect_encoding(sample: bytes, complete: bool, explicit: str | None) -> _Encoding:
    if explicit:
        try:
            codec = codecs.lookup(explicit).name
        except LookupError:
            raise AudienceError(
                f"unknown encoding {explicit!r}", code="audience.encoding"
            ) from None
        if codec == "utf-8-sig":
            codec = "utf-8"
        # A BOM of exactly this codec is skipped ("utf-16"/"utf-32" handle theirs themselves).
        bom = next((len(b) for b, _, c in _BOMS if c == codec and sample.startswith(b)), 0)
        return _make_encoding(explicit, codec, bom, sample)
    for bom_bytes, name, codec in _BOMS:
        if sample.startswith(bom_bytes):
            return _make_encoding(name, codec, len(bom_bytes), sample)
    utf16 = _bomless_utf16(sample)
    if utf16 is not None:
        return _make_encoding(utf16, utf16, 0, sample)
    if _mostly_utf8(sample, complete):
        return _make_encoding("utf-8", "utf-8", 0, sample)
    guess = _guess_legacy(sample)
    try:
        codec = codecs.lookup(guess).name
    except LookupError:  # pragma: no cover - charset-normalizer only names Python codecs
        codec = "cp1252"
    return _make_encoding(codec, codec, 0, sample)


def _detect_format(path: Path, sample: bytes, explicit: str | None) -> str:
    if explicit is not None:
        fmt = explicit.lower().lstrip(".")
        if fmt not in FORMATS:
            raise AudienceError(
                f"unknown audience format {explicit!r}; use one of {', '.join(FORMATS)}",
                code="audience.format",
            )
        return fmt
    suffix = path.suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if sample.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise AudienceError(
            f"{path.name}: legacy Excel (.xls) files are not supported; save as .xlsx or CSV",
            code="audience.format",
        )
    if sample.startswith(_ZIP_MAGIC):
        return "xlsx"
    head = sample[:4096]
    for bom_bytes, _, _ in _BOMS:
        if head.startswith(bom_bytes):
            head = head[len(bom_bytes) :]
            break
    else:
        if b"\x00" in head and _bomless_utf16(sample) is None:
            raise AudienceError(
                f"{path.name}: unknown format (binary content); use CSV, TSV, JSONL or XLSX",
                code="audience.format",
            )
    stripped = head.replace(b"\x00", b"").lstrip()
    if stripped.startswith(b"{"):
        return "jsonl"
    if stripped.startswith(b"["):
        raise AudienceError(
            f"{path.name}: JSON arrays are not supported; use JSON Lines (one object per line)",
            code="audience.format",
        )
    return "csv"


def _sample_text(sample: bytes, encoding: _Encoding, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding.codec)("replace")
    text = decoder.decode(sample[encoding.bom :], final=complete)
    if len(text) > _SNIFF_CHARS:
        text = text[:_SNIFF_CHARS]
        complete = False
    if not complete:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[: cut + 1]
    return text


def _sniff_delimiter(text: str) -> str:
    """The candidate giving the most consistent field count over the first non-blank records;
    it must split the header in two or more fields. Ties go to the order , ; tab |, and ","
    is the answer when nothing splits (a single-column file)."""
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in _DELIMITERS:
        records: list[list[str]] = []
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if any(cell.strip() for cell in record):
                    records.append(record)
                if len(records) >= 100:
                    break
        except csv.Error:
            pass  # judge on the records read so far
        if not records:
            continue
        width = len(records[0])
        consistent = sum(len(r) == width for r in records) / len(records)
        score = (width > 1, round(consistent, 2), width)
        if width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


# ------------------------------------------------------------------------------ line sources
def _binary_lines(fh: IO[bytes], codec: str, pending: list[_Issue], limit: int) -> Iterator[str]:
    """Decode an ASCII-compatible file line by line; flag bad bytes, NULs and long lines."""
    for number, raw in enumerate(fh, start=1):
        try:
            line = raw.decode(codec)
        except UnicodeDecodeError:
            line = raw.decode(codec, _ESCAPE)
            pending.append((_ENCODING, number))
        if "\x00" in line:
            pending.append((_NUL, number))
        if len(line) > limit:
            pending.append((_LONG, number))
        yield line


def _text_lines(fh: IO[bytes], codec: str, pending: list[_Issue], limit: int) -> Iterator[str]:
    """Like :func:`_binary_lines` for UTF-16/32 and CR-only files (slower, rarely big)."""
    text = io.TextIOWrapper(fh, encoding=codec, errors=_ESCAPE, newline="")
    suspicious = _SUSPICIOUS.search
    for number, line in enumerate(text, start=1):
        if suspicious(line) is not None:
            if _BAD_CHAR.search(line) is not None:
                pending.append((_ENCODING, number))
            if "\x00" in line:
                pending.append((_NUL, number))
        if len(line) > limit:
            pending.append((_LONG, number))
        yield line


# --------------------------------------------------------------------------------- helpers
def _clean(values: list[str]) -> list[str]:
    """Raw values for reports: escaped bad bytes become U+FFFD."""
    return [_BAD_CHAR.sub("\ufffd", v) if _BAD_CHAR.search(v) else v for v in values]


def _lines(first: int, last: int) -> str:
    return f"line {last}" if first >= last else f"lines {first}-{last}"


def _column(headers: list[str], index: int) -> str:
    return repr(headers[index]) if index < len(headers) else f"#{index + 1}"


def _too_long(values: list[str], limit: int) -> int:
    for index, value in enumerate(values):
        if len(value) > limit:
            return index
    return -1


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return orjson.dumps(value).decode()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _unreadable(path: Path, exc: BaseException) -> AudienceError:
    return AudienceError(
        f"cannot read audience file {path.name}: {exc}",
        code="audience.unreadable",
        details={"path": str(path)},
    )


# ---------------------------------------------------------------------------------- reader
class AudienceReader:
    """An opened, mapped audience file; iterate it for ``ContactRow | RejectedRow``.

    ``attributes`` of a contact hold every column's raw value (not stripped) under its variable
    name (``"First Name"`` -> ``first_name``; no alphanumerics -> ``column_<n>``; repeated names
    get ``_2``, ``_3``), plus each mapped canonical field whose column has another variable name
    under the canonical name, with the same raw value (``"Vorname"`` -> also ``first_name``).
    Normalized values live on the row itself (``key``, ``email``, ``locale``, ``consent``, ...).
    ``variables`` lists the attribute names followed by ``key``, ``email``, ``locale``,
    ``consent``, ``consent_source`` and ``consent_at``.
    """

    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    mapping: dict[str, str]
    variables: list[str]
    key_column: str
    options: ImportOptions

    def __init__(
        self,
        path: Path,
        options: ImportOptions,
        *,
        fmt: str,
        encoding: _Encoding | None,
        delimiter: str | None,
        plan: ColumnPlan,
        expected_rows: int,
        parser: TypeParser | None = None,
    ) -> None:
        self.path = path
        self.options = options
        self.format = fmt
        self._encoding = encoding
        self.encoding = encoding.name if encoding is not None else None
        self.delimiter = delimiter
        self.headers = plan.headers
        self.mapping = plan.mapping
        self.variables = plan.variables
        self.key_column = plan.headers[plan.key_index]
        self.types = dict(options.types)
        self._plan = plan
        self._parser = parser
        self._expected_rows = expected_rows

    def __repr__(self) -> str:
        return (
            f"AudienceReader({str(self.path)!r}, format={self.format!r}, "
            f"encoding={self.encoding!r}, delimiter={self.delimiter!r}, "
            f"key={self.key_column!r}, columns={len(self.headers)})"
        )

    def __iter__(self) -> Iterator[ContactRow | RejectedRow]:
        if self.format == "xlsx":
            return self._iter_xlsx()
        if self.format == "jsonl":
            return self._iter_jsonl()
        return self._iter_delimited()

    # -- shared -------------------------------------------------------------------------
    def _line_source(self, fh: IO[bytes], pending: list[_Issue]) -> Iterator[str]:
        encoding = self._encoding
        assert encoding is not None
        if encoding.bom:
            fh.read(encoding.bom)
        limit = self.options.max_field_chars
        if encoding.text_mode:
            return _text_lines(fh, encoding.codec, pending, limit)
        return _binary_lines(fh, encoding.codec, pending, limit)

    def _line_issue(
        self, row: int, values: list[str], pending: list[_Issue], first: int, last: int
    ) -> RejectedRow | None:
        """Resolve flags raised while reading the lines of one record, in code order."""
        kinds = {kind for kind, _ in pending}
        headers = self.headers
        if _ENCODING in kinds:
            line = min(n for kind, n in pending if kind == _ENCODING)
            for index, value in enumerate(values):
                match = _BAD_RUN.search(value)
                if match is not None:
                    bad = bytes(ord(c) - 0xDC00 for c in match.group())
                    return RejectedRow(
                        row,
                        "row.encoding",
                        f"bytes {bad!r} are not valid {self.encoding} in column "
                        f"{_column(headers, index)} (line {line})",
                        _clean(values),
                    )
            return RejectedRow(
                row,
                "row.encoding",
                f"bytes not valid in {self.encoding} on line {line}",
                _clean(values),
            )
        if _NUL in kinds:
            line = min(n for kind, n in pending if kind == _NUL)
            index = next((i for i, v in enumerate(values) if "\x00" in v), -1)
            where = f" in column {_column(headers, index)}" if index >= 0 else ""
            return RejectedRow(row, "row.nul_byte", f"NUL character{where} (line {line})", values)
        if _LONG in kinds or last > first:
            return self._length_issue(row, values, f" ({_lines(first, last)})")
        return None

    def _length_issue(self, row: int, values: list[str], where: str = "") -> RejectedRow | None:
        limit = self.options.max_field_chars
        index = _too_long(values, limit)
        if index < 0:
            return None
        return RejectedRow(
            row,
            "field.too_long",
            f"field in column {_column(self.headers, index)} has {len(values[index]):,} "
            f"characters (limit {limit:,}){where}",
            values,
        )

    def _validator(self) -> Validator:
        return build_validator(
            self._plan,
            expected_rows=self._expected_rows,
            types=self.types,
            parser=self._parser,
        )

    # -- CSV / TSV ------------------------------------------------------------------------
    def _iter_delimited(self) -> Iterator[Result]:
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise _unreadable(self.path, exc) from exc
        with fh:
            try:
                yield from self._delimited_rows(fh)
            except OSError as exc:
                raise _unreadable(self.path, exc) from exc

    def _delimited_rows(self, fh: IO[bytes]) -> Iterator[Result]:
        pending: list[_Issue] = []
        reader = csv.reader(
            self._line_source(fh, pending), delimiter=self.delimiter or ",", strict=True
        )
        _read_header(reader)
        pending.clear()
        check = self._validator()
        width = len(self.headers)
        row = 0
        last_line = reader.line_num
        while True:
            try:
                for values in reader:
                    if not values:  # a completely empty line: not a data row
                        last_line = reader.line_num
                        continue
                    row += 1
                    line = reader.line_num
                    if pending or len(values) != width or line - last_line != 1:
                        rejected: RejectedRow | None
                        if len(values) != width:
                            rejected = RejectedRow(
                                row,
                                "row.ragged",
                                f"expected {width} fields, got {len(values)} "
                                f"({_lines(last_line + 1, line)})",
                                _clean(values),
                            )
                        else:
                            rejected = self._line_issue(row, values, pending, last_line + 1, line)
                        pending.clear()
                        last_line = line
                        if rejected is not None:
                            yield rejected
                            continue
                    last_line = line
                    yield check(row, values)
                return
            except csv.Error as exc:
                # The record is lost (csv resumes at the next line); still one row, reported.
                row += 1
                line = reader.line_num
                pending.clear()
                code, problem = _csv_problem(str(exc), self.options.max_field_chars)
                yield RejectedRow(
                    row, code, f"unparseable record ({_lines(last_line + 1, line)}): {problem}", []
                )
                last_line = line

    # -- JSONL ----------------------------------------------------------------------------
    def _iter_jsonl(self) -> Iterator[Result]:
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise _unreadable(self.path, exc) from exc
        with fh:
            pending: list[_Issue] = []
            try:
                yield from self._jsonl_rows(self._line_source(fh, pending), pending)
            except OSError as exc:
                raise _unreadable(self.path, exc) from exc

    def _jsonl_rows(self, lines: Iterable[str], pending: list[_Issue]) -> Iterator[Result]:
        check = self._validator()
        headers = self.headers
        known = set(headers)
        names = set(self._plan.names)
        # Columns whose lists/objects are kept as such: every one not declared a text column
        # or given another type (a declared type parses the value itself).
        structured = [(i, n) for i, n in enumerate(self._plan.names) if n not in self.types]
        limit = self.options.max_field_chars
        loads = orjson.loads
        row = 0
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                pending.clear()
                continue
            row += 1
            if pending:
                kinds = {kind for kind, _ in pending}
                pending.clear()
                if _ENCODING in kinds:
                    bad = bytes(ord(c) - 0xDC00 for c in _BAD_RUN.findall(text)[0])
                    yield RejectedRow(
                        row,
                        "row.encoding",
                        f"bytes {bad!r} are not valid {self.encoding} (line {number})",
                        [_BAD_CHAR.sub("\ufffd", text)],
                    )
                    continue
                if _NUL in kinds:
                    yield RejectedRow(row, "row.nul_byte", f"NUL character (line {number})", [text])
                    continue
            try:
                obj = loads(text)
            except orjson.JSONDecodeError as exc:
                yield RejectedRow(
                    row, "jsonl.invalid_json", f"line {number} is not valid JSON: {exc}", [text]
                )
                continue
            if not isinstance(obj, dict):
                kind = "array" if isinstance(obj, list) else type(obj).__name__
                yield RejectedRow(
                    row,
                    "jsonl.invalid_json",
                    f"line {number} is not a JSON object (got {kind})",
                    [text],
                )
                continue
            natives = [obj.get(h) for h in headers]
            values = [_json_text(v) for v in natives]
            extras = {
                variable_name(str(k)) or str(k): _json_text(v)
                for k, v in obj.items()
                if k not in known
            }
            everything = [*values, *extras.values()]
            index = _too_long(everything, limit)
            if index >= 0:
                name = (
                    headers[index] if index < len(headers) else list(extras)[index - len(headers)]
                )
                yield RejectedRow(
                    row,
                    "field.too_long",
                    f"field {name!r} has {len(everything[index]):,} characters "
                    f"(limit {limit:,}) (line {number})",
                    values,
                )
                continue
            nul = next((i for i, v in enumerate(everything) if "\x00" in v), -1)
            if nul >= 0:
                name = headers[nul] if nul < len(headers) else list(extras)[nul - len(headers)]
                yield RejectedRow(
                    row, "row.nul_byte", f"NUL character in field {name!r} (line {number})", values
                )
                continue
            result = check(row, values, natives)
            if isinstance(result, ContactRow):
                _keep_structures(result.attributes, obj, natives, structured, extras, names)
            yield result

    # -- XLSX -----------------------------------------------------------------------------
    def _iter_xlsx(self) -> Iterator[Result]:
        with _open_sheet(self.path, self.options.sheet) as sheet:
            try:
                yield from self._xlsx_rows(sheet.iter_rows(values_only=True))
            except Exception as exc:  # openpyxl raises many things on corrupt sheets
                raise _unreadable(self.path, exc) from exc

    def _xlsx_rows(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[Result]:
        check = self._validator()
        headers = self.headers
        width = len(headers)
        typed = bool(self.types)
        for cells in rows:  # skip to (and over) the header row
            if any(_cell_text(c).strip() for c in cells):
                break
        row = 0
        for cells in rows:
            values = [_cell_text(c) for c in cells]
            if not any(values):
                continue
            row += 1
            if len(values) > width:
                extra = values[width:]
                if any(extra):
                    used = width + max(i for i, v in enumerate(extra) if v) + 1
                    yield RejectedRow(
                        row, "row.ragged", f"expected {width} fields, got {used}", values[:used]
                    )
                    continue
                del values[width:]
            elif len(values) < width:
                values.extend([""] * (width - len(values)))
            error = next((i for i, v in enumerate(values) if v in _XLSX_ERRORS), -1)
            if error >= 0:
                yield RejectedRow(
                    row,
                    "xlsx.cell_error",
                    f"cell error {values[error]} in column {_column(headers, error)}",
                    values,
                )
                continue
            rejected = self._length_issue(row, values)
            if rejected is not None:
                yield rejected
                continue
            if typed:  # declared types read the cells themselves (numbers, dates)
                natives = list(cells[:width])
                natives.extend([None] * (width - len(natives)))
                yield check(row, values, natives)
            else:
                yield check(row, values)


def _keep_structures(
    attributes: dict[str, Any],
    obj: dict[str, Any],
    natives: list[Any],
    structured: list[tuple[int, str]],
    extras: dict[str, str],
    names: set[str],
) -> None:
    """JSON lists and objects of a JSONL line stay structured in ``attributes`` (they iterate
    and have attributes in templates); scalars stay text, as in every other format."""
    for index, name in structured:
        value = natives[index]
        if isinstance(value, (list, dict)):
            attributes[name] = value
    if extras:
        for key, value in obj.items():
            name = variable_name(str(key)) or str(key)
            if name in names or name in attributes or name not in extras:
                continue
            attributes[name] = value if isinstance(value, (list, dict)) else extras[name]


def _csv_problem(message: str, limit: int) -> tuple[str, str]:
    """Reject code and a readable explanation for a ``csv.Error`` message."""
    if "field limit" in message:
        return "field.too_long", f"a field is longer than {limit:,} characters"
    if "new-line character seen in unquoted field" in message:
        return "row.malformed", "line break (CR) inside an unquoted field"
    if "unexpected end of data" in message:
        return "row.malformed", "a quoted field is never closed (unterminated quote)"
    if "expected after" in message:
        return "row.malformed", f"text after the closing quote of a field ({message})"
    return "row.malformed", message


def _read_header(reader: CsvReader) -> list[str] | None:
    """Consume records up to and including the first one with a non-blank cell."""
    for record in reader:
        if any(cell.strip() for cell in record):
            return record
    return None


@contextmanager
def _open_sheet(path: Path, name: str | None) -> Iterator[Any]:
    """The (read-only, cached-values) worksheet; file and workbook are closed on exit. The file
    is passed as a stream so openpyxl does not insist on an .xlsx file name."""
    from openpyxl import load_workbook

    try:
        fh = path.open("rb")
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    with fh:
        try:
            workbook = load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
            raise _unreadable(path, exc) from exc
        try:
            if name is None:
                if not workbook.worksheets:
                    raise AudienceError(
                        f"{path.name}: workbook has no sheets", code="audience.empty"
                    )
                yield workbook.worksheets[0]
            elif name not in workbook.sheetnames:
                sheets = ", ".join(repr(s) for s in workbook.sheetnames)
                raise AudienceError(
                    f"{path.name}: no sheet named {name!r}; sheets are: {sheets}",
                    code="audience.mapping",
                    details={"sheet": name},
                )
            else:
                yield workbook[name]
        finally:
            workbook.close()


def _xlsx_headers(path: Path, sheet: str | None) -> list[str]:
    with _open_sheet(path, sheet) as worksheet:
        try:
            for cells in worksheet.iter_rows(values_only=True):
                values = [_cell_text(c) for c in cells]
                if any(v.strip() for v in values):
                    while values and not values[-1].strip():
                        values.pop()
                    return values
        except Exception as exc:  # openpyxl raises many things on corrupt sheets
            raise _unreadable(path, exc) from exc
    raise AudienceError(f"{path.name}: the sheet has no header row", code="audience.empty")


def _csv_headers(path: Path, encoding: _Encoding, delimiter: str, limit: int) -> list[str]:
    with path.open("rb") as fh:
        if encoding.bom:
            fh.read(encoding.bom)
        pending: list[_Issue] = []
        lines = (
            _text_lines(fh, encoding.codec, pending, limit)
            if encoding.text_mode
            else _binary_lines(fh, encoding.codec, pending, limit)
        )
        try:
            header = _read_header(csv.reader(lines, delimiter=delimiter, strict=True))
        except csv.Error as exc:
            raise AudienceError(
                f"{path.name}: cannot parse the header row: {exc}", code="audience.unreadable"
            ) from exc
    if header is None:
        raise AudienceError(f"{path.name}: no header row (file is blank)", code="audience.empty")
    header = _clean(header)
    header[0] = header[0].lstrip("\ufeff")
    return header


def _jsonl_headers(path: Path, encoding: _Encoding, limit: int) -> list[str]:
    with path.open("rb") as fh:
        if encoding.bom:
            fh.read(encoding.bom)
        pending: list[_Issue] = []
        lines = (
            _text_lines(fh, encoding.codec, pending, limit)
            if encoding.text_mode
            else _binary_lines(fh, encoding.codec, pending, limit)
        )
        for line in lines:
            text = line.strip()
            if not text.startswith("{"):
                continue
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict) and obj:
                return [str(k) for k in obj]
    raise AudienceError(
        f"{path.name}: no JSON object found (JSON Lines needs one object per line)",
        code="audience.empty",
    )


def _expected_rows(size: int, sample: bytes) -> int:
    lines = sample.count(b"\n")
    if not lines:
        return 0
    return int(size / (len(sample) / lines)) + 1


def open_audience(path: Path, options: ImportOptions = _DEFAULT_OPTIONS) -> AudienceReader:
    """Inspect ``path`` and return a reader over its rows.

    Raises :class:`AudienceError` (before any row is read) for a missing or unreadable file, an
    empty file or one without a header, an unknown format or encoding, a key column that cannot
    be found, or a ``columns`` override naming a header that does not exist.
    """
    path = Path(path)
    if options.max_field_chars < 1:
        raise AudienceError("max_field_chars must be positive", code="audience.options")
    if options.delimiter is not None and len(options.delimiter) != 1:
        raise AudienceError(
            f"delimiter must be one character, got {options.delimiter!r}",
            code="audience.options",
        )
    try:
        if not path.exists():
            raise AudienceError(
                f"audience file not found: {path}",
                code="audience.not_found",
                details={"path": str(path)},
            )
        if not path.is_file():
            raise AudienceError(
                f"not a regular file: {path}",
                code="audience.unreadable",
                details={"path": str(path)},
            )
        size = path.stat().st_size
        with path.open("rb") as fh:
            sample = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if size == 0 or not sample:
        raise AudienceError(f"{path.name}: the file is empty", code="audience.empty")

    fmt = _detect_format(path, sample, options.format)
    encoding: _Encoding | None = None
    delimiter: str | None = None
    expected = 0
    try:
        if fmt == "xlsx":
            headers = _xlsx_headers(path, options.sheet)
        else:
            complete = len(sample) >= size
            encoding = _detect_encoding(sample, complete, options.encoding)
            expected = _expected_rows(size, sample)
            if fmt == "jsonl":
                headers = _jsonl_headers(path, encoding, options.max_field_chars)
            else:
                # Process-wide setting: only ever raised. Fields above max_field_chars but below
                # the limit are rejected by the reader itself.
                if csv.field_size_limit() <= options.max_field_chars:
                    csv.field_size_limit(options.max_field_chars + 1)
                delimiter = options.delimiter or (
                    "\t"
                    if fmt == "tsv"
                    else _sniff_delimiter(_sample_text(sample, encoding, complete))
                )
                headers = _csv_headers(path, encoding, delimiter, options.max_field_chars)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if not any(h.strip() for h in headers):
        raise AudienceError(f"{path.name}: the header row is blank", code="audience.empty")

    plan = plan_columns(
        headers, key=options.key, columns=options.columns, required=options.required
    )
    parser = _type_parser(options, plan, path)
    return AudienceReader(
        path,
        options,
        fmt=fmt,
        encoding=encoding,
        delimiter=delimiter,
        plan=plan,
        expected_rows=expected,
        parser=parser,
    )


def _type_parser(options: ImportOptions, plan: ColumnPlan, path: Path) -> TypeParser | None:
    """The parser of the declared types (``None`` when nothing is declared); raises
    ``AudienceError`` for an unknown type, variable, locale or pattern before any row is read."""
    parser = type_parser(
        types=options.types,
        locale=options.locale,
        date_format=options.date_format,
        datetime_format=options.datetime_format,
    )
    if not options.types:
        return None
    attributes = [*plan.names, *(n for n, i in plan.fields.items() if plan.names[i] != n)]
    check_types(options.types, attributes, source=path.name)
    return parser
