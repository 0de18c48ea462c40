"""A brand's visual kit: palette, font, logo, postal address, legal footer and sender.

Pure: the models validate data (a YAML file for the CLI, a JSON body for the API) and the logo
check reads bytes; nothing here touches the database. The kit file's keys::

    colors: {primary: "#0A6E5C", secondary: "#F2C14E", text: "#1D1D1B", background: "#FFFFFF"}
    font: Noto Sans                  # one of SHIPPED_FONTS (the PDF renderer embeds them)
    logo: logo.svg                   # CLI only: a PNG or SVG file next to the kit file
    address: ["Lumen & Loom GmbH", "Torstraße 1", "10119 Berlin"]
    legal_footer: ["Lumen & Loom GmbH · Amtsgericht Berlin HRB 12345"]
    sender: "Lumen & Loom <news@lumen.example>"

Every key is optional; unknown keys are refused with the closest known one.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brandloom.brands.errors import KitInvalid
from brandloom.kit.address import InvalidAddress, parse_mailbox
from brandloom.kit.validation import closest, validation_messages

__all__ = [
    "MAX_LOGO_BYTES",
    "MAX_LOGO_PIXELS",
    "SHIPPED_FONTS",
    "BrandKit",
    "Colors",
    "KitFile",
    "Logo",
    "check_logo",
    "load_kit_file",
    "parse_kit",
]

# The font families shipped in documents/fonts (the PDF renderer's families but its CJK
# extension set, which holds rare characters only); tests hold this list to the folder.
SHIPPED_FONTS = (
    "Noto Sans",
    "Noto Naskh Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Thai",
    "Noto Sans CJK SC",
)
MAX_LOGO_BYTES = 1024 * 1024
"""A logo sits in every e-mail and page: anything larger is a mistake."""
MAX_LOGO_PIXELS = 4096
"""The longest side of a PNG logo, in pixels."""
MAX_LINES = 10
MAX_LINE_CHARS = 300

_HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "http://www.w3.org/2000/svg"
# What an SVG served as an image must not hold: it could run script if opened on its own.
_SVG_ACTIVE = frozenset({"script", "foreignObject", "iframe", "embed", "object"})


def _color(value: str) -> str:
    text = value.strip()
    if not _HEX_COLOR.fullmatch(text):
        raise ValueError(f"a color is #RRGGBB (say #0A6E5C), not {value!r}")
    return text.upper()


class Colors(BaseModel):
    """The palette: every color ``#RRGGBB`` (stored upper-case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: str | None = None
    secondary: str | None = None
    accent: str | None = None
    text: str | None = None
    background: str | None = None
    link: str | None = None

    @field_validator("*")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        return None if value is None else _color(value)


def _lines(value: list[str], what: str) -> list[str]:
    lines = [line.strip() for line in value]
    if any(not line for line in lines):
        raise ValueError(f"{what}: a line is empty")
    for line in lines:
        if _CONTROL.search(line):
            raise ValueError(f"{what}: a line holds a line break or another control character")
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(f"{what}: a line is longer than {MAX_LINE_CHARS} characters")
    return lines


class BrandKit(BaseModel):
    """The kit as stored and as the API takes it (the logo is uploaded on its own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    colors: Colors = Field(default_factory=Colors)
    font: str | None = Field(
        default=None, description=f"One of the shipped fonts: {', '.join(SHIPPED_FONTS)}."
    )
    address: list[str] = Field(
        default_factory=list, max_length=MAX_LINES, description="Postal address, one line each."
    )
    legal_footer: list[str] = Field(
        default_factory=list, max_length=MAX_LINES, description="Legal footer lines."
    )
    sender: str | None = Field(
        default=None,
        description="The default From: an RFC 5322 mailbox, 'Lumen <news@lumen.example>'.",
    )

    @field_validator("font")
    @classmethod
    def _font(cls, value: str | None) -> str | None:
        if value is None:
            return None
        by_key = {font.casefold(): font for font in SHIPPED_FONTS}
        found = by_key.get(" ".join(value.split()).casefold())
        if found is None:
            guess = closest(value, SHIPPED_FONTS)
            hint = f"; did you mean '{guess}'?" if guess else ""
            raise ValueError(
                f"not a shipped font: {value!r}{hint} (fonts: {', '.join(SHIPPED_FONTS)})"
            )
        return found

    @field_validator("address")
    @classmethod
    def _address(cls, value: list[str]) -> list[str]:
        return _lines(value, "address")

    @field_validator("legal_footer")
    @classmethod
    def _footer(cls, value: list[str]) -> list[str]:
        return _lines(value, "legal_footer")

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parse_mailbox(value)
        except InvalidAddress as exc:
            raise ValueError(f"not a mailbox: {exc.reason}") from None
        return value.strip()

    def to_data(self) -> dict[str, Any]:
        """The kit as stored: JSON, keys without a value left out."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


class KitFile(BrandKit):
    """A kit file (YAML, for the CLI): the kit plus ``logo``, a path next to the file."""

    logo: str | None = Field(default=None, description="A PNG or SVG file.")


def _validate(model: type[BrandKit], data: object, source: str) -> BrandKit:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KitInvalid(
            f"{source}: a kit is a mapping of keys (colors, font, logo, address, legal_footer, "
            "sender)"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = validation_messages(exc, model=model)
        raise KitInvalid(f"{source}: " + "; ".join(lines), details={"errors": lines}) from None


def parse_kit(data: object, *, source: str = "kit") -> BrandKit:
    """Validate kit data (the API's JSON); errors name ``source`` and each bad field. A
    ``logo`` key is refused here: the API takes the logo as an upload of its own."""
    if isinstance(data, dict) and "logo" in data:
        raise KitInvalid(
            f"{source}.logo: upload the logo as a file (PUT /v1/brands/{{id}}/kit/logo)"
        )
    return _validate(BrandKit, data, source)


class Logo(BaseModel):
    """A checked logo: its bytes and the media type read from them."""

    model_config = ConfigDict(frozen=True)

    data: bytes
    media_type: str


def load_kit_file(path: Path) -> tuple[BrandKit, Logo | None]:
    """Read a kit YAML file and its logo (a path relative to the file); errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KitInvalid(f"{path}: cannot read the kit file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise KitInvalid(f"{path}: the kit file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KitInvalid(f"{path}: not valid YAML{where}") from None
    kit = _validate(KitFile, data, str(path))
    assert isinstance(kit, KitFile)
    logo = None
    if kit.logo is not None:
        logo_path = (path.parent / kit.logo).resolve()
        try:
            raw = _read_capped(logo_path)
        except OSError as exc:
            raise KitInvalid(
                f"{path}: logo: cannot read {logo_path} ({exc.strerror or exc})", code="brand.logo"
            ) from None
        logo = check_logo(raw, source=f"{path}: logo ({logo_path.name})")
    return BrandKit.model_validate(kit.model_dump(exclude={"logo"})), logo


def _read_capped(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(MAX_LOGO_BYTES + 1)


def check_logo(data: bytes, *, source: str = "logo") -> Logo:
    """A PNG or SVG logo, recognized by its bytes (never by a name or a declared type): at most
    ``MAX_LOGO_BYTES``; a PNG's sides at most ``MAX_LOGO_PIXELS``; an SVG well-formed, with an
    ``<svg>`` root and nothing that could run (scripts, event handlers, embedded documents)."""
    if len(data) > MAX_LOGO_BYTES:
        raise KitInvalid(
            f"{source}: larger than {MAX_LOGO_BYTES:,} bytes",
            code="brand.logo_too_large",
            status=413,
        )
    if not data:
        raise KitInvalid(f"{source}: the file is empty", code="brand.logo")
    if data.startswith(_PNG_MAGIC):
        _check_png(data, source)
        return Logo(data=data, media_type="image/png")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        _check_svg(data, source)
        return Logo(data=data, media_type="image/svg+xml")
    raise KitInvalid(f"{source}: not a PNG or SVG image", code="brand.logo")


def _check_png(data: bytes, source: str) -> None:
    # The first chunk is IHDR: length (13), type, width and height as big-endian integers.
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise KitInvalid(f"{source}: a broken PNG (no image header)", code="brand.logo")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise KitInvalid(
            f"{source}: {width}x{height} pixels; at most {MAX_LOGO_PIXELS} on each side",
            code="brand.logo",
        )
    if b"IEND" not in data[-16:]:
        raise KitInvalid(f"{source}: a truncated PNG (no end chunk)", code="brand.logo")


def _check_svg(data: bytes, source: str) -> None:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise KitInvalid(f"{source}: an SVG with a DOCTYPE or entities", code="brand.logo")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise KitInvalid(f"{source}: not a well-formed SVG ({exc})", code="brand.logo") from None
    if etree.QName(root).localname != "svg" or etree.QName(root).namespace not in (None, _SVG_NS):
        raise KitInvalid(f"{source}: not an SVG image (no <svg> root)", code="brand.logo")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        if etree.QName(element).localname in _SVG_ACTIVE:
            raise KitInvalid(
                f"{source}: an SVG with <{etree.QName(element).localname}> is not accepted",
                code="brand.logo",
            )
        for name, value in element.attrib.items():
            local = etree.QName(name).localname.lower()
            if local.startswith("on") or (
                local == "href" and value.strip().lower().startswith(("javascript:", "data:text"))
            ):
                raise KitInvalid(
                    f"{source}: an SVG with a script attribute ({local}) is not accepted",
                    code="brand.logo",
                )
