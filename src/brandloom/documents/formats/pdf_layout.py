"""PDF documents from a ``typst`` template part: letterheads, tables, columns, images.

The part is Typst with Jinja (or Liquid) tags. Rendered for a contact, it gives a *skeleton*
(its template text with a mark per expression output) and the values
(:func:`brandloom.templates.slots.split_slots`). Per job and worker process one
:class:`LayoutRenderer` is built; ``render`` is then, per document:

1. the skeleton is looked up among those seen before. It is the path key: template text is
   written only by the branches a contact takes and the loop iterations it runs, so two
   contacts whose ``{% if %}`` decisions and loop lengths give the same text share one
   skeleton, and a skeleton never stands for two different texts. A new skeleton becomes
   Typst source once (:func:`~._typst_source.layout_source`: every value a reference into the
   data file, never the value) and is written next to the assets as ``brandloom-layout-N.typ``;
2. the values, with the document's language, direction and fonts, are written to
   ``brandloom-data.json``;
3. Typst compiles that path's source. Only the data file changed since the last document on
   the path, so Typst reuses its memoized evaluation and the layout of everything that does
   not depend on the values (the letterhead, the logo, fixed text), as it does for the
   Markdown renderer (:mod:`.pdf`).

Typst's project root is a private folder holding the job's assets (the images the template
ships), the sources and the data file: ``#image("logo.png")`` finds the logo, and no path a
template writes reaches anything outside that folder (Typst refuses ``..``; ``/etc/passwd``
is looked for inside the folder). Contact data never names a file, as it never reaches source.

A Typst error on a path's first document is the template's (:class:`LayoutError` with
``known_path`` False: the job stops, naming the part and the line). On a path that compiled
before, the error can only come from the values (``#int({{ amount }})`` with a non-number):
``known_path`` is True, and the writer fails that document only.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import orjson
import typst

from brandloom.documents.formats._typst_source import (
    DATA_FILE,
    PREAMBLE_LINES,
    LayoutSourceError,
    layout_source,
    preamble,
)
from brandloom.documents.formats.pdf import (
    FONT_DIR,
    PAGE_SIZES,
    PdfRenderError,
    _parse_lang,
    _with_document_id,
    font_families,
)
from brandloom.kit.locale import text_direction
from brandloom.templates.slots import OPEN, SlotError, split_slots

__all__ = ["LayoutError", "LayoutRenderer"]

#: Distinct paths kept compiled per renderer; the least recently used source goes beyond it.
MAX_PATHS = 512

_WHERE = re.compile(r"(brandloom-layout-\d+\.typ):(\d+):\d+")
_SURROGATES = re.compile("[\ud800-\udfff]")


class LayoutError(PdfRenderError):
    """The ``typst`` part could not make a PDF; ``known_path``: its path compiled before."""

    code = "pdf.layout_error"
    status = 422

    def __init__(self, message: str, *, known_path: bool = False) -> None:
        super().__init__(message)
        self.known_path = known_path


class LayoutRenderer:
    """Built once per job per worker process; like :class:`~.pdf.PdfRenderer`, not shareable
    across processes, and calls from several threads are serialized.

    ``assets``: file name -> bytes, the files a template's ``#image(...)`` may read.
    """

    def __init__(
        self,
        *,
        creation_date: datetime,
        title: str | None = None,
        page_size: str = "a4",
        assets: Mapping[str, bytes] | None = None,
    ) -> None:
        paper = PAGE_SIZES.get(page_size.strip().lower())
        if paper is None:
            raise ValueError(f"unknown page size {page_size!r}; use one of {sorted(PAGE_SIZES)}")
        if creation_date.tzinfo is None:
            creation_date = creation_date.replace(tzinfo=UTC)
        self._timestamp = creation_date.astimezone(UTC).replace(microsecond=0)
        self._pid = os.getpid()
        self._title = title
        self._preamble = preamble(paper)
        self._lock = threading.Lock()
        #: skeleton -> (source file name, compiled successfully once), least recently used first
        self._paths: OrderedDict[str, tuple[str, bool]] = OrderedDict()
        self._built = 0
        self._root = Path(tempfile.mkdtemp(prefix="brandloom-layout-"))
        for name, data in (assets or {}).items():
            if PurePosixPath(name).name != name or name.startswith(".") or name == DATA_FILE:
                raise ValueError(f"asset name {name!r} is not a plain file name")
            (self._root / name).write_bytes(data)
        self._data = (self._root / DATA_FILE).open("w+b")
        self._finalizer = weakref.finalize(self, _cleanup, self._data, self._root)
        fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONT_DIR)]
        )
        self._compiler = typst.Compiler(
            root=str(self._root), font_paths=fonts, ignore_system_fonts=True
        )

    @property
    def sources_built(self) -> int:
        """How many paths were turned into Typst source so far (each once)."""
        return self._built

    def close(self) -> None:
        """Remove the private project folder (also done when the renderer is collected)."""
        self._finalizer()

    def render(self, text: str, *, lang: str, direction: str, doc_id: str) -> bytes:
        """One PDF from a rendered ``typst`` part; the same arguments give the same bytes.

        Raises :class:`LayoutError` (see the module doc for ``known_path``).
        """
        if os.getpid() != self._pid:
            raise RuntimeError("a LayoutRenderer can't be used across fork; build one per process")
        try:
            skeleton, values = split_slots(text)
        except SlotError as exc:  # pragma: no cover - the engine pairs every mark
            raise LayoutError(f"typst part: {exc}") from None
        data = self._document(values, lang, direction)
        with self._lock:
            name, known = self._source(skeleton)
            self._data.seek(0)
            self._data.write(data)
            self._data.truncate()
            self._data.flush()
            try:
                pdf = self._compiler.compile(
                    input=str(self._root / name),
                    format="pdf",
                    timestamp=self._timestamp,
                    pdf_tags=True,
                )
            except typst.TypstError as exc:
                raise LayoutError(self._message(exc, skeleton), known_path=known) from None
            if not known:
                self._paths[skeleton] = (name, True)
        if not isinstance(pdf, bytes):  # pragma: no cover - one output when no path is given
            raise LayoutError("typst part: rendering returned no document")
        return _with_document_id(pdf, doc_id)

    def _source(self, skeleton: str) -> tuple[str, bool]:
        """The source file of a path, written on its first document."""
        paths = self._paths
        found = paths.get(skeleton)
        if found is not None:
            paths.move_to_end(skeleton)
            return found
        try:
            body = layout_source(skeleton)
        except LayoutSourceError as exc:
            raise LayoutError(f"typst part: {exc}") from None
        self._built += 1
        name = f"brandloom-layout-{self._built}.typ"
        (self._root / name).write_text(self._preamble + body, encoding="utf-8")
        paths[skeleton] = (name, False)
        if len(paths) > MAX_PATHS:
            old, _ = paths.popitem(last=False)[1]
            (self._root / old).unlink(missing_ok=True)
        return name, False

    def _document(self, values: list[str], lang: str, direction: str) -> bytes:
        typst_lang, region, _ = _parse_lang(lang)
        if direction not in ("ltr", "rtl"):
            direction = text_direction(lang)
        doc: dict[str, Any] = {
            "title": self._title,
            "lang": typst_lang,
            "region": region,
            "dir": direction,
            "fonts": font_families(lang),
            "v": values,
        }
        try:
            return orjson.dumps(doc)
        except orjson.JSONEncodeError:  # a lone surrogate (from a JSON audience) can't be UTF-8
            doc["v"] = [_SURROGATES.sub("\ufffd", v) for v in values]
            return orjson.dumps(doc)

    def _message(self, exc: typst.TypstError, skeleton: str) -> str:
        """Typst's error, where in the layout it is, without the private folder's path."""
        message = str(exc.message).replace(f"{self._root}{os.sep}", "").replace(str(self._root), "")
        where = _WHERE.search(getattr(exc, "diagnostic", "") or "")
        if where is not None:
            line = int(where.group(2)) - PREAMBLE_LINES
            lines = skeleton.split("\n")
            if 1 <= line <= len(lines):
                text = lines[line - 1].replace(OPEN, "{{…}}").strip()
                message += f" (line {line} of the rendered layout: `{text[:120]}`)"
        hints = [str(h) for h in getattr(exc, "hints", None) or []]
        if hints:
            message += f"; hint: {'; '.join(hints)}"
        return f"typst part: {message}"


def _cleanup(data: IO[bytes], root: Path) -> None:
    data.close()
    shutil.rmtree(root, ignore_errors=True)
