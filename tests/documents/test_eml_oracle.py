"""The hand-written EML builder checked against the standard library's ``email`` package.

``build_eml`` assembles the message as strings (about 20x faster than ``EmailMessage``,
``python benchmarks/run.py --only micro``). Parsed by the standard library's parser, its output
must hold exactly the fields and bodies it was given, and the same ones as the message the
``email`` package builds from the same input (``benchmarks/references.py``, which the
micro-benchmark times). brandloom's messages have no attachments: the parts compared are the
text and the HTML alternative, and the images a brand's layout shows inline (its logo: the HTML
alternative becomes multipart/related, the image referenced by ``cid:``).
"""

from __future__ import annotations

import binascii
import email
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from benchmarks.references import eml_with_email_package
from hypothesis import given
from hypothesis import strategies as st

from brandloom.documents.formats.eml import (
    EmailSettings,
    InlineImage,
    _quoted_printable,
    build_eml,
    inline_image,
)
from tests.oracle import ORACLE

LOGO = (Path(__file__).resolve().parents[2] / "benchmarks" / "logo.png").read_bytes()

BASE: dict[str, Any] = {
    "from_addr": "news@shop.example.com",
    "from_name": "Example Shop",
    "to_addr": "anna@example.org",
    "to_name": "Anna Lee",
    "subject": "Spring sale",
    "text": "Hello Anna,\nour sale starts now.\n",
    "html": "<p>Hello Anna,</p><p>our sale starts now.</p>\n",
    "message_id": "<abc123@shop.example.com>",
    "date": datetime(2026, 5, 1, 12, 30, 5, tzinfo=UTC),
    "reply_to": "help@shop.example.com",
    "unsubscribe_url": "https://shop.example.com/u/123",
    "unsubscribe_mailto": "unsubscribe@shop.example.com",
}


def _images(case: dict[str, Any]) -> list[InlineImage]:
    return [
        inline_image(data, media_type=media_type, name=name)
        for data, media_type, name in case.get("related", ())
    ]


def ours(case: dict[str, Any]) -> bytes:
    settings = EmailSettings(
        from_addr=case["from_addr"],
        from_name=case["from_name"],
        reply_to=case["reply_to"],
        unsubscribe_mailto=case["unsubscribe_mailto"],
    )
    return build_eml(
        settings=settings,
        to_addr=case["to_addr"],
        to_name=case["to_name"],
        subject=case["subject"],
        text=case["text"],
        html=case["html"],
        message_id=case["message_id"],
        date=case["date"],
        unsubscribe_url=case["unsubscribe_url"],
        related=_images(case),
    )


def reference(case: dict[str, Any]) -> bytes:
    """The same message from the ``email`` package (the images with the same Content-IDs)."""
    args = {k: v for k, v in case.items() if k != "related"}
    related = [
        (data, image.media_type, image.content_id, image.filename)
        for (data, _, _), image in zip(case.get("related", ()), _images(case), strict=True)
    ]
    return eml_with_email_package(**args, related=related)


def _decoded(raw: str) -> str:
    """An RFC 2047 value decoded as the RFC says (the stdlib's structured-header parser puts a
    space between adjacent encoded-words of a display name)."""
    return str(make_header(decode_header(raw)))


def _mailbox(raw: str) -> tuple[str, str]:
    name, _, addr = raw.rpartition("<")
    if not _:
        return "", raw.strip()
    name = _decoded(name.strip())
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return " ".join(name.split()), addr.rstrip(">").strip()


def fields(data: bytes) -> dict[str, Any]:
    """What a mail client sees of a message: decoded headers and (content type, body) parts."""
    msg = email.message_from_bytes(data, policy=policy.default)
    raw = email.message_from_bytes(data, policy=policy.compat32)
    assert isinstance(msg, EmailMessage)
    bodies: list[Any] = []
    images = []
    for part in msg.walk():
        assert isinstance(part, EmailMessage)
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text":
            assert part.get_content_charset() == "utf-8"
            bodies.append((part.get_content_type(), part.get_content().replace("\r\n", "\n")))
        else:
            images.append(
                (
                    part.get_content_type(),
                    part.get_content(),
                    str(part["Content-ID"]),
                    part.get_content_disposition(),
                    part.get_filename(),
                )
            )
    unfold = lambda name: " ".join(str(raw[name]).split()) if raw[name] else None  # noqa: E731
    return {
        "From": _mailbox(str(raw["From"])),
        "To": _mailbox(str(raw["To"])),
        "Reply-To": _mailbox(str(raw["Reply-To"])) if raw["Reply-To"] else None,
        "Subject": str(msg["Subject"]),
        "Date": msg["Date"].datetime,
        "Date-text": str(raw["Date"]),  # the weekday too, which the parsed datetime ignores
        "Message-ID": str(msg["Message-ID"]).strip(),
        "MIME-Version": str(msg["MIME-Version"]),
        "List-Unsubscribe": unfold("List-Unsubscribe"),
        "List-Unsubscribe-Post": unfold("List-Unsubscribe-Post"),
        "Content-Type": msg.get_content_type(),
        # the tree of content types, multiparts included
        "structure": [p.get_content_type() for p in msg.walk()],
        "parts": bodies,
        "images": images,
        "defects": [type(d).__name__ for p in msg.walk() for d in p.defects],
    }


def _ended(body: str) -> str:
    # EmailMessage.set_content ends every body with a newline; build_eml keeps the body as
    # given. Bodies are compared with that one difference taken out.
    return body if body.endswith("\n") else body + "\n"


def assert_matches_email_package(case: dict[str, Any]) -> dict[str, Any]:
    mine = fields(ours(case))
    theirs = fields(reference(case))
    mine["parts"] = [(kind, _ended(body)) for kind, body in mine["parts"]]
    assert mine == theirs
    # ... and both hold what was given
    assert mine["From"] == (case["from_name"] or "", case["from_addr"])
    assert mine["To"] == (case["to_name"] or "", case["to_addr"])
    assert mine["Subject"] == case["subject"]
    assert mine["Date"] == case["date"]
    expected = [("text/plain", case["text"])]
    if case["html"] is not None:
        expected.append(("text/html", case["html"]))
    assert mine["parts"] == [(k, _ended(v.replace("\r\n", "\n"))) for k, v in expected]
    if case["html"] is not None:
        assert [image[1] for image in mine["images"]] == [d for d, _, _ in case.get("related", ())]
    assert mine["defects"] == []
    return mine


def test_a_marketing_message_matches_the_email_package() -> None:
    found = assert_matches_email_package(BASE)
    assert found["Content-Type"] == "multipart/alternative"
    assert found["List-Unsubscribe"] == (
        "<https://shop.example.com/u/123>, <mailto:unsubscribe@shop.example.com>"
    )
    assert found["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "change",
    [
        {"html": None},
        {"to_name": None, "from_name": None, "reply_to": None},
        {"unsubscribe_url": None},
        {"unsubscribe_url": "http://shop.example.com/u", "unsubscribe_mailto": None},
        {"subject": "Grüße aus München – 20 % Rabatt für Sie 🎉"},
        {"to_name": "Jürgen Müller-Lüdenscheidt", "from_name": "Lumen Café"},
        {"to_name": 'O\'Brien, "Ann"', "subject": 'Re: [promo] "quoted" (parens)'},
        {"text": "Line 1\r\nLine 2\r\n", "html": "<p>日本語のテキスト</p>" * 40},
        {"text": "x" * 200 + "\n" + "trailing space \nand tab\t\n", "html": "=3D=\n"},
        {"date": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))},
        {"subject": "word " * 40 + "long" * 60},
    ],
)
def test_variations_match_the_email_package(change: dict[str, Any]) -> None:
    assert_matches_email_package({**BASE, **change})


def test_an_inline_logo_is_a_related_part_the_html_references() -> None:
    logo = inline_image(LOGO, media_type="image/png", name="logo")
    html = f'<p>Hi</p><img src="{logo.src}" alt="Lumen &amp; Loom">'
    found = assert_matches_email_package(
        {**BASE, "html": html, "related": [(LOGO, "image/png", "logo")]}
    )
    assert found["structure"] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
    ]  # fmt: skip
    [(media_type, data, cid, disposition, filename)] = found["images"]
    assert (media_type, data, disposition, filename) == ("image/png", LOGO, "inline", "logo.png")
    assert logo.src == f"cid:{cid.strip('<>')}" and logo.src in found["parts"][1][1]
    # the Content-ID follows the logo's bytes: the same in every message and rerun
    assert (
        cid == logo.content_id == inline_image(LOGO, media_type="image/png", name="logo").content_id
    )
    other = inline_image(LOGO + b"x", media_type="image/png", name="logo")
    assert other.content_id != logo.content_id


def test_related_images_without_html_are_left_out() -> None:
    case = {**BASE, "html": None, "related": [(LOGO, "image/png", "logo")]}
    assert ours(case) == ours({**case, "related": []})
    assert_matches_email_package({**case, "related": []})


# --- generated messages ---------------------------------------------------------------------

# Header text as a contact row can hold it: no control characters (build_eml turns those into
# spaces, a header cannot carry them), no leading/trailing blanks (both sides strip them).
HEADER_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80
).map(lambda s: " ".join(s.split()))
BODY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=600).map(
    lambda s: s.replace("\r", "")
)


@ORACLE
@given(
    subject=HEADER_TEXT,
    to_name=HEADER_TEXT,
    from_name=HEADER_TEXT,
    text=BODY,
    html=st.none() | BODY,
    offset=st.integers(-12 * 60, 14 * 60),
    logo=st.none() | st.binary(min_size=1, max_size=300),
)
def test_generated_messages_match_the_email_package(
    subject: str,
    to_name: str,
    from_name: str,
    text: str,
    html: str | None,
    offset: int,
    logo: bytes | None,
) -> None:
    date = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(minutes=offset)))
    case = {
        **BASE,
        "subject": subject,
        "to_name": to_name or None,
        "from_name": from_name or None,
        "text": text,
        "html": html,
        "date": date,
        "related": [(logo, "image/png", "logo")] if logo is not None else [],
    }
    assert_matches_email_package(case)


@ORACLE
@given(BODY)
def test_quoted_printable_decodes_with_binascii(text: str) -> None:
    """The same encoding as ``binascii.b2a_qp``, except where a long line is soft-broken:
    decoded by ``binascii.a2b_qp`` it gives the input back, lines stay within 76 characters."""
    data = text.encode("utf-8").replace(b"\r", b"")
    encoded = _quoted_printable(data)
    assert binascii.a2b_qp(encoded.replace(b"\r\n", b"\n")) == data
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    if all(len(line) < 25 for line in data.split(b"\n")):  # no soft line break needed
        expected = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
        assert encoded == expected.replace(b"\n", b"\r\n")
