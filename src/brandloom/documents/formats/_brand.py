"""What the html, eml, pdf and docx writers share of a brand's kit (:class:`BrandLayout`).

Built once per job: a safe view of the palette (every color checked again, the kit being data),
the logo's size and digest, the font stack e-mail clients get, and a PNG of an SVG logo for the
places that cannot show SVG (most e-mail clients, Word's required fallback picture).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brandloom.documents.formats.registry import BrandLayout

__all__ = ["KitView", "fit", "kit_view", "logo_size", "png_of_svg", "text_dir"]

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE)
_SVG_ATTR = re.compile(rb"""\b(width|height|viewBox)\s*=\s*["']([^"']*)["']""")
_SVG_LENGTH = re.compile(rb"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")

#: The CSS font stack of each shipped font: the kit's font first (clients that have it, or a
#: web font the brand loads itself), then fonts most systems have for the same script.
_FONT_STACKS = {
    "Noto Sans": "'Noto Sans', Helvetica, Arial, sans-serif",
    "Noto Naskh Arabic": "'Noto Naskh Arabic', Tahoma, 'Segoe UI', Arial, sans-serif",
    "Noto Sans Hebrew": "'Noto Sans Hebrew', Arial, 'Segoe UI', sans-serif",
    "Noto Sans Devanagari": "'Noto Sans Devanagari', Mangal, 'Nirmala UI', Arial, sans-serif",
    "Noto Sans Thai": "'Noto Sans Thai', Tahoma, 'Leelawadee UI', sans-serif",
    "Noto Sans CJK SC": "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
}
_DEFAULT_STACK = "Helvetica, Arial, sans-serif"

# Defaults where the kit has no color for a role.
_TEXT = "#191919"  # the unbranded PDF's text color
_PRIMARY = "#1F3763"
_LINK = "#0B57D0"
_BACKGROUND = "#FFFFFF"


@dataclass(frozen=True, slots=True)
class KitView:
    """A brand's kit checked once per job: colors as ``#RRGGBB`` (the kit's, else defaults)."""

    name: str
    primary: str
    text: str
    link: str
    background: str
    font: str | None
    font_stack: str
    logo: bytes | None
    logo_media_type: str | None
    #: The logo's natural size (pixels, or SVG user units), when it can be read.
    logo_size: tuple[float, float] | None
    logo_sha256: str | None
    address: tuple[str, ...]
    legal_footer: tuple[str, ...]
    #: The writing direction of the kit's own text (``ltr`` or ``rtl``), from its first strong
    #: letter: a German address in an Arabic letter stays left-to-right (its ``>`` unmirrored).
    name_dir: str
    footer_dir: str


def text_dir(lines: Iterable[str]) -> str:
    """``rtl`` when the first letter with a direction is right-to-left, else ``ltr``."""
    for line in lines:
        for char in line:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
    return "ltr"


def _color(layout: BrandLayout, role: str, default: str) -> str:
    value = layout.color(role, default)
    return value.upper() if _HEX.fullmatch(value) else default


def kit_view(layout: BrandLayout) -> KitView:
    """The kit as the writers use it. A color that is not ``#RRGGBB`` falls back to the default
    (the kit validated it; this keeps markup safe whatever built the layout)."""
    primary = _color(layout, "primary", _PRIMARY)
    logo = layout.logo or None
    media_type = layout.logo_media_type if logo is not None else None
    if media_type not in ("image/png", "image/svg+xml"):
        logo, media_type = None, None
    return KitView(
        name=layout.name,
        primary=primary,
        text=_color(layout, "text", _TEXT),
        link=_color(
            layout, "link", primary if _HEX.fullmatch(layout.color("primary", "")) else _LINK
        ),
        background=_color(layout, "background", _BACKGROUND),
        font=layout.font if layout.font in _FONT_STACKS else None,
        font_stack=_FONT_STACKS.get(layout.font or "", _DEFAULT_STACK),
        logo=logo,
        logo_media_type=media_type,
        logo_size=logo_size(logo, media_type) if logo is not None else None,
        logo_sha256=hashlib.sha256(logo).hexdigest() if logo is not None else None,
        address=tuple(layout.address),
        legal_footer=tuple(layout.legal_footer),
        name_dir=text_dir([layout.name]),
        footer_dir=text_dir([*layout.address, *layout.legal_footer]),
    )


def logo_size(data: bytes, media_type: str | None) -> tuple[float, float] | None:
    """(width, height) of a PNG (its header) or an SVG (its root's width/height, else its
    viewBox); None when unknown."""
    if media_type == "image/png":
        if len(data) < 24 or not data.startswith(_PNG_MAGIC) or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return (float(width), float(height)) if width and height else None
    if media_type == "image/svg+xml":
        root = _SVG_ROOT.search(data)
        if root is None:
            return None
        attrs = {k.decode(): v for k, v in _SVG_ATTR.findall(root.group())}
        width, height = _svg_length(attrs.get("width")), _svg_length(attrs.get("height"))
        if width and height:
            return width, height
        box = (attrs.get("viewBox") or b"").replace(b",", b" ").split()
        try:
            w, h = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            return None
        return (w, h) if w > 0 and h > 0 else None
    return None


def _svg_length(value: bytes | None) -> float | None:
    found = _SVG_LENGTH.match(value) if value else None  # percentages, em, cm: unknown
    return float(found.group(1)) if found and float(found.group(1)) > 0 else None


def fit(size: tuple[float, float] | None, max_width: float, max_height: float) -> tuple[int, int]:
    """The logo's display size within ``max_width`` x ``max_height``, aspect kept (a box of
    that height and a 3:1 width when its size is unknown)."""
    width, height = size or (3.0, 1.0)
    scale = min(max_width / width, max_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


@lru_cache(maxsize=8)
def png_of_svg(svg: bytes, height_px: int) -> bytes | None:
    """An SVG logo as a PNG ``height_px`` pixels high (transparent background), drawn by Typst
    with no fonts but the shipped ones; None when Typst cannot draw it.

    Once per logo and size in a process (cached): e-mail clients (Gmail, Outlook) do not show
    SVG images, and Word needs a PNG beside an SVG picture.
    """
    import typst  # only a job whose brand has an SVG logo pays for it

    from brandloom.documents.formats.pdf import FONT_DIR

    root = Path(tempfile.mkdtemp(prefix="brandloom-logo-"))
    try:
        (root / "logo.svg").write_bytes(svg)
        # 144 ppi: 2 pixels a point
        (root / "main.typ").write_text(
            "#set page(width: auto, height: auto, margin: 0pt, fill: none)\n"
            f'#image("logo.svg", height: {height_px / 2}pt)\n',
            encoding="utf-8",
        )
        fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONT_DIR)]
        )
        compiler = typst.Compiler(
            str(root / "main.typ"), root=str(root), font_paths=fonts, ignore_system_fonts=True
        )
        png = compiler.compile(format="png", ppi=144.0)
    except typst.TypstError:
        return None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return png if isinstance(png, bytes) and png.startswith(_PNG_MAGIC) else None
