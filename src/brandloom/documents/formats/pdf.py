"""PDF documents from Markdown, rendered by Typst with the Noto fonts shipped in the package.

Per job and worker process one :class:`PdfRenderer` is built: it loads the fonts, prepares a
private Typst project folder and warms the compiler up. ``render`` is then, per document:

1. markdown-it-py parses the Markdown into a block/inline tree of lists and strings
   (:mod:`._markdown_blocks`); raw HTML stays literal text, images become their alt text;
2. the tree plus the document settings (language, direction, fonts) is written as
   ``doc.json`` into the project folder;
3. Typst compiles the fixed template (``pdf_typst/main.typ``), which reads ``doc.json`` and
   places every string as text. Contact data is never part of Typst source, so whatever it
   holds (``#import``, ``$x$``, backslashes, ...) can't be evaluated;
4. the PDF's document ID (trailer ``/ID`` and XMP) is replaced by one derived from ``doc_id``.

The data goes through a file rather than ``sys.inputs`` because changing ``sys.inputs`` changes
Typst's library, which invalidates every memoized result: through the file, Typst reuses the
template evaluation and the layout of unchanged paragraphs from one document to the next
(about 40 % less work per document).

Typst shapes the text (HarfBuzz-compatible rustybuzz: Arabic joining, marks, ligatures, CJK
``locl`` forms for ``ja``/``ko``), applies the Unicode bidi algorithm (``direction="rtl"`` sets
the paragraph direction; numbers and Latin runs inside Arabic stay left-to-right), and embeds
each used font as a subset. Characters no shipped font covers are drawn as the font's
``.notdef`` box; that never raises.

With a brand (the spec's ``brand:``), the same template lays the document out as the brand's
letter: a letterhead with the logo (at the start side: left, right in right-to-left text) or
the brand's name, a rule in the primary color, headings in the primary color, links in the link
color, the kit's font first in the font list, and on every page a footer with the address and
legal lines. The kit reaches Typst as data too (``doc.json``'s ``brand``: strings placed as
text); the logo is a file written once into the renderer's private project folder, under a name
the renderer chooses. Without a brand ``doc.json`` has no ``brand`` and the template takes
exactly its unbranded path.

Output is byte-identical for identical input: creation/modification dates come from
``creation_date``, the document ID from ``doc_id``; nothing reads the clock or a random source.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson
import typst

from brandloom.documents.formats._brand import KitView, fit, kit_view
from brandloom.documents.formats._markdown_blocks import Block, MarkdownBlocks
from brandloom.errors import BrandloomError
from brandloom.kit.locale import nearest_locale, text_direction

if TYPE_CHECKING:
    from brandloom.documents.formats.registry import BrandLayout

__all__ = ["FONT_DIR", "PAGE_SIZES", "PdfRenderError", "PdfRenderer", "font_families"]

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
TEMPLATE_DIR = Path(__file__).resolve().parent / "pdf_typst"

#: Accepted ``page_size`` values -> Typst paper names.
PAGE_SIZES: dict[str, str] = {
    "a4": "a4",
    "a5": "a5",
    "a3": "a3",
    "letter": "us-letter",
    "us-letter": "us-letter",
    "legal": "us-legal",
    "us-legal": "us-legal",
}

LATIN = "Noto Sans"
ARABIC = "Noto Naskh Arabic"
HEBREW = "Noto Sans Hebrew"
DEVANAGARI = "Noto Sans Devanagari"
THAI = "Noto Sans Thai"
CJK = "Noto Sans CJK SC"
CJK_EXT = "Noto Sans CJK SC Ext"  # rare ideographs and Hangul syllables, regular weight only
#: Fallback order after the language's own font.
_FAMILIES = (LATIN, ARABIC, HEBREW, DEVANAGARI, THAI, CJK, CJK_EXT)

_SCRIPT_FONT = {
    "arab": ARABIC,
    "hebr": HEBREW,
    "deva": DEVANAGARI,
    "thai": THAI,
    "hans": CJK,
    "hant": CJK,
    "hani": CJK,
    "jpan": CJK,
    "hira": CJK,
    "kana": CJK,
    "kore": CJK,
    "hang": CJK,
}
_LANG_FONT = {
    **dict.fromkeys(("zh", "ja", "ko", "yue", "cmn", "wuu", "hak", "nan", "gan", "lzh"), CJK),
    **dict.fromkeys(
        ("ar", "fa", "ur", "ps", "ckb", "sd", "ug", "ks", "pnb", "prs", "glk", "mzn", "lrc"),
        ARABIC,
    ),
    **dict.fromkeys(("arz", "apc", "ajp", "acm", "ary", "aeb", "arq", "bqi"), ARABIC),
    **dict.fromkeys(("he", "iw", "yi", "ji"), HEBREW),
    **dict.fromkeys(("hi", "mr", "ne", "sa", "kok", "mai", "bho", "awa", "mag", "new"), DEVANAGARI),
    "th": THAI,
}
_TRAILER_ID = re.compile(
    rb"/ID\s*\[\s*\(([A-Za-z0-9+/=]{8,64})\)\s*\(([A-Za-z0-9+/=]{8,64})\)\s*\]"
)
_WARMUP = "# Warm-up\n\nLatin **bold** *italic* — مرحبا بالعالم 123 — 中文 日本語 한국어"


class PdfRenderError(BrandloomError):
    """Typst could not compile a document (a bug or a resource limit, not bad user data)."""

    code = "pdf.render_failed"
    status = 500


def _parse_lang(lang: str) -> tuple[str, str | None, str | None]:
    """A locale -> (Typst language, Typst region or None, script subtag lowercase or None);
    English for a locale CLDR does not know."""
    tag = nearest_locale(lang)
    if tag is None:
        return "en", None, None
    # Typst takes ISO 3166 alpha-2 regions only (not UN M.49 ones such as 419).
    region = tag.region if tag.region is not None and tag.region.isalpha() else None
    return tag.language, region, tag.script.lower() if tag.script is not None else None


@lru_cache(maxsize=512)
def font_families(lang: str) -> tuple[str, ...]:
    """The font fallback list for a locale: its script's font first (the tag's script, else
    the one CLDR expects for its language: ``sdh`` and ``pa-PK`` are written in Arabic)."""
    primary, _, script = _parse_lang(lang)
    first = _SCRIPT_FONT.get(script or "") or _LANG_FONT.get(primary, LATIN)
    if first == CJK:
        return (CJK, CJK_EXT, *(f for f in _FAMILIES if f not in (CJK, CJK_EXT)))
    return (first, *(f for f in _FAMILIES if f != first))


def _document_id(doc_id: str, length: int) -> bytes:
    digest = hashlib.sha256(b"brandloom-pdf-id\x00" + doc_id.encode("utf-8")).digest()
    return base64.b64encode(digest + digest)[:length]


def _with_document_id(pdf: bytes, doc_id: str) -> bytes:
    """Replace Typst's document ID (trailer ``/ID`` and XMP) by one derived from ``doc_id``.

    The new ID has the same length, so every byte offset (xref table) stays valid.
    """
    match = _TRAILER_ID.search(pdf, max(0, len(pdf) - 2048))
    if match is None:
        return pdf
    new_pdf = pdf
    for old in {match.group(1), match.group(2)}:
        new_pdf = new_pdf.replace(old, _document_id(doc_id, len(old)))
    return new_pdf


class PdfRenderer:
    """Built once per job per worker process (load fonts, compile templates here).

    Not shareable across processes: build it inside each worker. Worker processes must be
    started with ``spawn`` or ``forkserver``: Typst's thread pool does not survive ``fork``, so
    a process forked after its parent compiled a PDF hangs in Typst. Calls from several threads
    are serialized.
    """

    def __init__(
        self,
        *,
        creation_date: datetime,
        title: str | None = None,
        page_size: str = "a4",
        brand: BrandLayout | None = None,
    ) -> None:
        paper = PAGE_SIZES.get(page_size.strip().lower())
        if paper is None:
            raise ValueError(f"unknown page size {page_size!r}; use one of {sorted(PAGE_SIZES)}")
        if creation_date.tzinfo is None:
            creation_date = creation_date.replace(tzinfo=UTC)
        self._timestamp = creation_date.astimezone(UTC).replace(microsecond=0)
        self._pid = os.getpid()
        self._title = title
        self._paper = paper
        self._parser = MarkdownBlocks()
        self._lock = threading.Lock()
        # A private project root: Typst resolves every path inside it and nowhere else.
        self._root = Path(tempfile.mkdtemp(prefix="brandloom-pdf-"))
        for name in ("main.typ", "lib.typ"):
            shutil.copyfile(TEMPLATE_DIR / name, self._root / name)
        self._kit = kit_view(brand) if brand is not None else None
        self._brand = _brand_data(self._kit, self._root) if self._kit is not None else None
        # Rewritten in place for every document: truncating open() costs ~1 ms on ext4.
        self._data = (self._root / "doc.json").open("w+b")
        self._finalizer = weakref.finalize(self, _cleanup, self._data, self._root)
        fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONT_DIR)]
        )
        self._compiler = typst.Compiler(
            str(self._root / "main.typ"),
            root=str(self._root),
            font_paths=fonts,
            ignore_system_fonts=True,
        )
        # The first compile loads fonts and evaluates the template; pay for it here.
        try:
            self.render(_WARMUP, lang="en", direction="ltr", doc_id="warm-up")
        except PdfRenderError:
            if self._brand is None or self._brand["logo"] is None:
                raise
            # A logo Typst cannot draw (an SVG without a size, which the kit's check lets
            # through): the letterhead names the brand instead of failing every document.
            self._brand = {**self._brand, "logo": None}
            self.render(_WARMUP, lang="en", direction="ltr", doc_id="warm-up")

    def close(self) -> None:
        """Remove the private project folder (also done when the renderer is collected)."""
        self._finalizer()

    def render(self, markdown: str, *, lang: str, direction: str, doc_id: str) -> bytes:
        """One PDF for one document; the same arguments always give the same bytes."""
        if os.getpid() != self._pid:
            raise RuntimeError("a PdfRenderer can't be used across fork; build one per process")
        blocks = self._parser.parse(markdown)
        data = self._document(blocks, lang, direction)
        with self._lock:
            self._data.seek(0)
            self._data.write(data)
            self._data.truncate()
            self._data.flush()
            try:
                pdf = self._compiler.compile(format="pdf", timestamp=self._timestamp, pdf_tags=True)
            except typst.TypstError as exc:
                raise PdfRenderError(
                    f"PDF rendering failed: {exc.message}", details={"doc_id": doc_id}
                ) from exc
        if not isinstance(pdf, bytes):  # pragma: no cover - one output when no path is given
            raise PdfRenderError("PDF rendering returned no document", details={"doc_id": doc_id})
        return _with_document_id(pdf, doc_id)

    def _document(self, blocks: Sequence[Block], lang: str, direction: str) -> bytes:
        typst_lang, region, _ = _parse_lang(lang)
        if direction not in ("ltr", "rtl"):
            direction = text_direction(lang)
        fonts = font_families(lang)
        doc: dict[str, Any] = {
            "title": self._title,
            "paper": self._paper,
            "lang": typst_lang,
            "region": region,
            "dir": direction,
            "fonts": fonts,
            "blocks": blocks,
        }
        if self._brand is not None:
            doc["brand"] = self._brand
            font = self._kit.font if self._kit is not None else None
            if font is not None and fonts[0] != font:
                doc["fonts"] = (font, *(f for f in fonts if f != font))
        return orjson.dumps(doc)


#: The logo's box in the letterhead (mm).
_LOGO_BOX = (70.0, 14.0)
#: The footer's text per line at 7.5 pt on an A4 text width (a rough count, to make room).
_FOOTER_CHARS_PER_LINE = 115


def _brand_data(kit: KitView, root: Path) -> dict[str, Any]:
    """The kit as ``doc.json`` carries it; the logo written into the project folder."""
    logo = None
    width = height = 0
    if kit.logo is not None:
        logo = (
            "brandloom-logo.svg" if kit.logo_media_type == "image/svg+xml" else "brandloom-logo.png"
        )
        (root / logo).write_bytes(kit.logo)
        width, height = fit(kit.logo_size, _LOGO_BOX[0] * 10, _LOGO_BOX[1] * 10)  # 0.1 mm
    address = "  ·  ".join(kit.address)
    lines = sum(
        max(1, math.ceil(len(line) / _FOOTER_CHARS_PER_LINE))
        for line in ([address] if address else []) + list(kit.legal_footer)
    )
    return {
        "name": kit.name,
        "primary": kit.primary,
        "link": kit.link,
        "text": kit.text,
        "logo": logo,
        "logo-w": width / 10,
        "logo-h": height / 10,
        "name-dir": kit.name_dir,
        "address": list(kit.address),
        "legal": list(kit.legal_footer),
        "footer-dir": kit.footer_dir,
        # room for the footer: its rule, then 3.9 mm a line, under 5 mm of descent
        "bottom": max(24.0, round(16.0 + 3.9 * lines, 1)) if lines else 24.0,
    }


def _cleanup(data: IO[bytes], root: Path) -> None:
    data.close()
    shutil.rmtree(root, ignore_errors=True)
