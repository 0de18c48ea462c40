"""Library files read into texts: every format, rejected rows with their line (row) and reason."""

from __future__ import annotations

import pytest

from brandloom.brands.errors import LibraryError
from brandloom.brands.library import (
    MAX_TEXT_CHARS,
    LibraryText,
    RejectedText,
    library_format,
    normalized_sha256,
    read_library,
)


def _read(data: str | bytes, fmt: str, **options: str) -> list[LibraryText | RejectedText]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return list(read_library(raw, format=fmt, source="f", **options))


def _texts(items: list[LibraryText | RejectedText]) -> list[tuple[int, str]]:
    return [(i.position, i.text) for i in items if isinstance(i, LibraryText)]


def _rejects(items: list[LibraryText | RejectedText]) -> list[dict[str, object]]:
    return [i.to_dict() for i in items if isinstance(i, RejectedText)]


def test_txt_is_one_text_per_line() -> None:
    items = _read("\nFirst line\r\nSecond  line\n   \n", "txt")
    assert _texts(items) == [(2, "First line"), (3, "Second  line")]
    assert _rejects(items) == []


def test_txt_with_blank_lines_between_texts_is_read_per_paragraph() -> None:
    items = _read("One paragraph\nwrapped here.\n\nAnother one.\n\n\n  Third\n", "txt")
    assert _texts(items) == [(1, "One paragraph wrapped here."), (4, "Another one."), (7, "Third")]


def test_csv_reads_text_channel_locale_and_rejects_bad_rows_by_row() -> None:
    data = (
        "id,Text,channel,locale\n"
        "1,Hello there,email,de_de\n"
        "2,,email,\n"
        "3,Bonjour,SMS,xx-YY\n"
        "\n"
        '4,"Multi\nline",bad channel!,\n'
        "5,Hi again,,\n"
    )
    items = _read(data, "csv", locale="en-GB")
    accepted = [i for i in items if isinstance(i, LibraryText)]
    assert [(i.position, i.text, i.channel, i.locale) for i in accepted] == [
        (1, "Hello there", "email", "de-DE"),
        (5, "Hi again", None, "en-GB"),  # the default locale for rows without one
    ]
    rejects = _rejects(items)
    assert [r["row"] for r in rejects] == [2, 3, 4]
    assert rejects[0]["reason"] == "empty text"
    assert "xx-YY" in str(rejects[1]["reason"]) and "locale" in str(rejects[1]["reason"])
    assert "channel" in str(rejects[2]["reason"])


def test_tsv_and_a_csv_without_a_text_column() -> None:
    assert _texts(_read("text\tlocale\nTab separated\tfr\n", "tsv")) == [(1, "Tab separated")]
    with pytest.raises(LibraryError, match=r"line 1: no 'text' column \(columns: body, id\)"):
        _read("body,id\nx,1\n", "csv")


def test_markdown_is_stripped_to_text_per_paragraph_heading_and_item() -> None:
    data = (
        "---\ntitle: Autumn\n---\n"
        "# The *autumn* edit\n\n"
        "Soft **wool**, [warm light](https://example.com) and ![a candle](c.png)\n"
        "in one `box`.\n\n"
        "- first item\n- second item\n\n"
        "```\nprint('not copy')\n```\n\n"
        "> A quote.\n"
    )
    assert _texts(_read(data, "md")) == [
        (4, "The autumn edit"),
        (6, "Soft wool, warm light and a candle in one box."),
        (9, "first item"),
        (10, "second item"),
        (16, "A quote."),
    ]


def test_html_text_per_block_without_scripts_styles_or_head() -> None:
    data = (
        "<html><head><title>Shop</title><style>p { color: red }</style></head>\n"
        "<body><!-- hidden --><h1>Hello <b>there</b></h1>\n"
        "<p>Soft&nbsp;light<br>and <script>track()</script>wool &amp; linen.</p>\n"
        "<ul><li>One</li><li><img alt='A candle'></li></ul></body></html>"
    )
    assert _texts(_read(data, "html")) == [
        (2, "Hello there"),
        (3, "Soft light and wool & linen."),
        (4, "One"),
        (4, "A candle"),
    ]


def test_jsonl_objects_with_their_own_channel_and_locale() -> None:
    data = (
        '{"text": "Hello", "channel": "email", "locale": "de-DE", "id": 7}\n'
        "\n"
        "{not json\n"
        "[1, 2]\n"
        '{"body": "x"}\n'
        '{"text": 42}\n'
        '{"text": "   "}\n'
        '{"text": "Ciao", "locale": "it"}\n'
    )
    items = _read(data, "jsonl", channel="social")
    accepted = [
        (i.position, i.text, i.channel, i.locale) for i in items if isinstance(i, LibraryText)
    ]
    assert accepted == [(1, "Hello", "email", "de-DE"), (8, "Ciao", "social", "it")]
    rejects = _rejects(items)
    assert [r["line"] for r in rejects] == [3, 4, 5, 6, 7]
    assert str(rejects[0]["reason"]).startswith("not valid JSON")
    assert rejects[2]["reason"] == "no 'text' key"
    assert rejects[4]["reason"] == "empty text"


def test_a_text_over_the_limit_is_rejected() -> None:
    items = _read("short\n" + "x" * (MAX_TEXT_CHARS + 1) + "\n", "txt")
    assert _texts(items) == [(1, "short")]
    assert _rejects(items) == [
        {"line": 2, "reason": f"too long: {MAX_TEXT_CHARS + 1:,} characters; at most 20,000"}
    ]


def test_file_level_problems_raise() -> None:
    with pytest.raises(LibraryError, match="line 2: not UTF-8"):
        _read(b"ok\n\xff\xfe bad\n", "txt")
    with pytest.raises(LibraryError, match="unknown locale"):
        _read("x\n", "txt", locale="xx-YY")
    with pytest.raises(LibraryError, match=r"extension '\.pdf'"):
        library_format("copy.pdf")
    with pytest.raises(LibraryError, match="unknown format 'docx'"):
        library_format("copy.txt", "docx")
    assert library_format("copy.MD") == "md"
    assert library_format("copy.txt", "markdown") == "md"
    assert library_format("a.htm") == "html" and library_format("b.ndjson") == "jsonl"


def test_duplicates_are_told_by_normalized_text() -> None:
    assert normalized_sha256("Soft  light\n") == normalized_sha256(" Soft light")
    assert normalized_sha256("Cafe\u0301") == normalized_sha256("Café")
    assert normalized_sha256("Soft light") != normalized_sha256("soft light")
