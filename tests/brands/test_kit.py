"""The visual kit: colors, fonts, lines, sender; logos checked by their bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from brandloom.brands.errors import KitInvalid
from brandloom.brands.kit import (
    MAX_LOGO_BYTES,
    MAX_LOGO_PIXELS,
    SHIPPED_FONTS,
    check_logo,
    load_kit_file,
    parse_kit,
)
from brandloom.documents.formats.pdf import font_families
from tests.brands.factories import SVG, png


def test_a_full_kit_is_normalized_and_stored_without_empty_keys() -> None:
    kit = parse_kit(
        {
            "colors": {"primary": "#0a6e5c", "background": " #FFFFFF "},
            "font": "noto  sans",
            "address": ["Lumen & Loom GmbH", " Torstraße 1 ", "10119 Berlin"],
            "legal_footer": ["Amtsgericht Berlin HRB 12345"],
            "sender": "Lumen & Loom <news@lumen.example>",
        }
    )
    assert kit.to_data() == {
        "colors": {"primary": "#0A6E5C", "background": "#FFFFFF"},
        "font": "Noto Sans",
        "address": ["Lumen & Loom GmbH", "Torstraße 1", "10119 Berlin"],
        "legal_footer": ["Amtsgericht Berlin HRB 12345"],
        "sender": "Lumen & Loom <news@lumen.example>",
    }
    assert parse_kit({}).to_data() == {}


@pytest.mark.parametrize(
    ("data", "needles"),
    [
        ({"colors": {"primary": "green"}}, ["colors.primary", "#RRGGBB"]),
        ({"colors": {"primary": "#0A6E5"}}, ["colors.primary"]),
        ({"colors": {"primry": "#000000"}}, ["colors.primry", "did you mean `primary`"]),
        ({"font": "Comic Sans"}, ["font", "not a shipped font", "Noto Sans"]),
        ({"font": "Noto Sans Thia"}, ["did you mean 'Noto Sans Thai'"]),
        ({"sender": "not an address"}, ["sender", "not a mailbox"]),
        ({"address": ["ok", ""]}, ["address", "empty"]),
        ({"legal_footer": ["a\nb"]}, ["legal_footer", "line break"]),
        ({"colours": {}}, ["did you mean `colors`"]),
        ({"logo": "logo.png"}, ["kit.logo", "upload"]),
        (["not", "a", "mapping"], ["a kit is a mapping"]),
    ],
)
def test_bad_kits_name_the_field(data: object, needles: list[str]) -> None:
    with pytest.raises(KitInvalid) as caught:
        parse_kit(data)
    assert caught.value.status == 422
    for needle in needles:
        assert needle in caught.value.message, caught.value.message


def test_the_shipped_fonts_are_the_pdf_renderers() -> None:
    families = set(font_families("en"))
    assert set(SHIPPED_FONTS) <= families
    assert families - set(SHIPPED_FONTS) == {"Noto Sans CJK SC Ext"}  # rare characters only


def test_png_and_svg_logos_are_recognized_by_their_bytes() -> None:
    assert check_logo(png(300, 100)).media_type == "image/png"
    assert check_logo(b"\xef\xbb\xbf" + SVG).media_type == "image/svg+xml"
    bare = b'<svg viewBox="0 0 1 1"><circle r="1"/></svg>'
    assert check_logo(bare).media_type == "image/svg+xml"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"GIF89a....", "not a PNG or SVG"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 5, "broken PNG"),
        (png(MAX_LOGO_PIXELS + 1, 10), f"{MAX_LOGO_PIXELS + 1}x10 pixels"),
        (png(10, 10)[:-12], "truncated PNG"),
        (b"<html><body>hi</body></html>", "no <svg> root"),
        (b"<svg><unclosed></svg>", "not a well-formed SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<a x:href="javascript:alert(1)">x</a></svg>',
            "href",
        ),
        (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>', "DOCTYPE"),
    ],
)
def test_fake_or_unsafe_logos_are_refused(data: bytes, needle: str) -> None:
    with pytest.raises(KitInvalid) as caught:
        check_logo(data)
    assert (caught.value.code, caught.value.status) == ("brand.logo", 422)
    assert needle in caught.value.message


def test_an_oversized_logo_is_413() -> None:
    with pytest.raises(KitInvalid) as caught:
        check_logo(png() + b"\x00" * MAX_LOGO_BYTES)
    assert (caught.value.code, caught.value.status) == ("brand.logo_too_large", 413)


def test_a_kit_file_reads_its_logo_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.svg").write_bytes(SVG)
    path = tmp_path / "kit.yaml"
    path.write_text("font: Noto Sans\nlogo: assets/logo.svg\ncolors: {text: '#111111'}\n")
    kit, logo = load_kit_file(path)
    assert kit.to_data() == {"font": "Noto Sans", "colors": {"text": "#111111"}}
    assert logo is not None and logo.data == SVG and logo.media_type == "image/svg+xml"

    path.write_text("logo: missing.png\n")
    with pytest.raises(KitInvalid, match=r"cannot read .*missing\.png"):
        load_kit_file(path)
    path.write_text("font: [unclosed\n")
    with pytest.raises(KitInvalid, match="not valid YAML at line"):
        load_kit_file(path)
    path.write_text("fonts: Noto Sans\n")
    with pytest.raises(KitInvalid, match=r"kit.yaml: fonts: unknown field `fonts`; did you mean"):
        load_kit_file(path)
