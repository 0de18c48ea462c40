from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.documents.formats.eml import (
    EmailBuildError,
    EmailSettings,
    build_eml,
    message_id_for,
)
from brandloom.errors import BrandloomError

SETTINGS = EmailSettings(
    from_addr="news@example.com",
    from_name="Example Shop",
    reply_to="help@example.com",
    unsubscribe_mailto="unsubscribe@example.com",
)
DATE = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)
MID = "<abc123@example.com>"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def build(**overrides: Any) -> bytes:
    kwargs: dict[str, Any] = {
        "settings": SETTINGS,
        "to_addr": "anna@example.org",
        "to_name": "Anna Lee",
        "subject": "Spring sale",
        "text": "Hello Anna,\nour sale starts now.\n",
        "html": "<p>Hello Anna,</p><p>our sale starts now.</p>",
        "message_id": MID,
        "date": DATE,
        "unsubscribe_url": "https://example.com/u/123",
    }
    kwargs.update(overrides)
    return build_eml(**kwargs)


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def bodies(msg: EmailMessage) -> list[tuple[str, str]]:
    parts = list(msg.iter_parts()) if msg.is_multipart() else [msg]
    out = []
    for part in parts:
        assert isinstance(part, EmailMessage)
        content = part.get_content()
        out.append((part.get_content_type(), content.replace("\r\n", "\n")))
    return out


def assert_wire_format(data: bytes) -> None:
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 998


def test_round_trip_basic() -> None:
    data = build()
    assert_wire_format(data)
    msg = parse(data)
    assert msg["From"] == "Example Shop <news@example.com>"
    assert msg["To"].addresses[0].display_name == "Anna Lee"
    assert msg["To"].addresses[0].addr_spec == "anna@example.org"
    assert msg["Reply-To"] == "help@example.com"
    assert msg["Subject"] == "Spring sale"
    assert msg["Message-ID"] == MID
    assert msg["MIME-Version"] == "1.0"
    assert msg["Date"].datetime == DATE
    assert msg.get_content_type() == "multipart/alternative"
    assert bodies(msg) == [
        ("text/plain", "Hello Anna,\nour sale starts now.\n"),
        ("text/html", "<p>Hello Anna,</p><p>our sale starts now.</p>"),
    ]
    assert not msg.defects


def test_text_only() -> None:
    msg = parse(build(html=None, text="Just text, no newline at end"))
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert bodies(msg) == [("text/plain", "Just text, no newline at end")]


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("王小明", "春季大促销：全场五折"),
        ("محمد علي", "تخفيضات الربيع بدأت الآن"),
        ("Jürgen Größe", "Grüße aus Köln – Frühlingsangebote für Sie"),
        ("Zoë 😀", "😀 " * 40),
        ('Lee, "Anna" \\ Jr.', "Re: =?utf-8?q?not_an_encoded_word?="),
    ],
)
def test_non_ascii_names_and_subjects(name: str, subject: str) -> None:
    data = build(to_name=name, subject=subject, settings=EmailSettings("a@example.com", name))
    assert_wire_format(data)
    msg = parse(data)
    assert msg["Subject"] == subject.strip()
    assert msg["To"].addresses[0].display_name == name
    assert msg["From"].addresses[0].display_name == name


def test_idn_domains() -> None:
    data = build(to_addr="kunde@bücher.de", settings=EmailSettings("info@münchen.de"))
    msg = parse(data)
    assert msg["To"].addresses[0].domain == "xn--bcher-kva.de"
    assert msg["From"].addresses[0].domain == "xn--mnchen-3ya.de"


@pytest.mark.parametrize(
    "evil",
    [
        "Bob\r\nBcc: x@evil.com",
        "Bob\nBcc: x@evil.com",
        "Bob\rBcc: x@evil.com",
        "Bob\r\n\r\nBcc: x@evil.com",
        "Bob\u2028Bcc: x@evil.com",
        "Bob\x00\x0bBcc: x@evil.com",
        "Bob\x85Bcc: x@evil.com",
        "Bob =?utf-8?q?=0D=0ABcc:_x@evil.com?=",
    ],
)
def test_header_injection_is_impossible(evil: str) -> None:
    data = build(to_name=evil, subject=evil, extra_headers={"X-Campaign": evil})
    assert_wire_format(data)
    msg = parse(data)
    assert msg["Bcc"] is None
    assert b"\r\nBcc:" not in data
    assert sorted(k.lower() for k in msg) == sorted(
        [
            "from", "to", "reply-to", "subject", "date", "message-id", "mime-version",
            "list-unsubscribe", "list-unsubscribe-post", "x-campaign", "content-type",
        ]
    )  # fmt: skip
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert "\n" not in msg["To"].addresses[0].display_name


@pytest.mark.parametrize(
    "addr",
    [
        "anna@example.org\r\nBcc: x@evil.com",
        "anna@example.org\nBcc: x@evil.com",
        "anna@exam ple.org",
        "anna example.org",
        "anna@",
        "@example.org",
        "anna@localhost",
        "an..na@example.org",
        "Anna <anna@example.org>",
        "anna@example.org, bob@example.org",
        "anna@-bad-.org",
        "ännä@example.org",
        "",
    ],
)
def test_invalid_address_raises(addr: str) -> None:
    with pytest.raises(EmailBuildError) as info:
        build(to_addr=addr)
    assert info.value.code == "eml.invalid_address"
    assert isinstance(info.value, BrandloomError)


def test_invalid_settings_and_message_id() -> None:
    with pytest.raises(EmailBuildError):
        build(settings=EmailSettings("bad address"))
    with pytest.raises(EmailBuildError) as info:
        build(message_id="<a b@example.com>")
    assert info.value.code == "eml.invalid_message_id"
    with pytest.raises(EmailBuildError) as info:
        build(extra_headers={"Bcc": "x@evil.com"})
    assert info.value.code == "eml.invalid_header"
    with pytest.raises(EmailBuildError):
        build(extra_headers={"X-Bad\r\nBcc": "x"})
    with pytest.raises(EmailBuildError) as info:
        build(unsubscribe_url="javascript:alert(1)")
    assert info.value.code == "eml.invalid_unsubscribe_url"
    with pytest.raises(EmailBuildError):
        build(unsubscribe_url="https://example.com/u>\r\nBcc: x@evil.com")


def test_message_id_without_brackets_is_wrapped() -> None:
    assert parse(build(message_id="abc@example.com"))["Message-ID"] == "<abc@example.com>"


def test_list_unsubscribe_https() -> None:
    msg = parse(build())
    assert msg["List-Unsubscribe"] == (
        "<https://example.com/u/123>, <mailto:unsubscribe@example.com>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_list_unsubscribe_http_has_no_one_click() -> None:
    msg = parse(build(unsubscribe_url="http://example.com/u/123"))
    assert msg["List-Unsubscribe"].startswith("<http://example.com/u/123>")
    assert msg["List-Unsubscribe-Post"] is None


def test_list_unsubscribe_absent_without_url_or_mailto() -> None:
    msg = parse(build(settings=EmailSettings("news@example.com"), unsubscribe_url=None))
    assert msg["List-Unsubscribe"] is None
    assert msg["List-Unsubscribe-Post"] is None


def test_list_unsubscribe_with_mailto_only_has_no_one_click() -> None:
    msg = parse(build(unsubscribe_url=None))
    assert msg["List-Unsubscribe"] == "<mailto:unsubscribe@example.com>"
    assert msg["List-Unsubscribe-Post"] is None


def test_list_unsubscribe_without_mailto_and_idn_url() -> None:
    msg = parse(
        build(
            settings=EmailSettings("news@example.com"),
            unsubscribe_url="https://bücher.de/abmelden?n=Jürgen",
        )
    )
    assert msg["List-Unsubscribe"] == "<https://xn--bcher-kva.de/abmelden?n=J%C3%BCrgen>"


def test_mailto_with_query() -> None:
    settings = EmailSettings(
        "news@example.com", unsubscribe_mailto="mailto:u@example.com?subject=stop"
    )
    msg = parse(build(settings=settings))
    assert msg["List-Unsubscribe"].endswith("<mailto:u@example.com?subject=stop>")


def test_byte_identical_and_boundary_from_message_id() -> None:
    assert build() == build()
    other = build(message_id="<other@example.com>")
    boundary = re.search(rb'boundary="([^"]+)"', build())
    other_boundary = re.search(rb'boundary="([^"]+)"', other)
    assert boundary is not None and other_boundary is not None
    assert boundary.group(1) != other_boundary.group(1)


def test_long_single_line_html() -> None:
    html = "<p>" + "x" * 5000 + "</p>"
    data = build(html=html, text="y" * 3000)
    assert_wire_format(data)
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    assert bodies(parse(data)) == [("text/plain", "y" * 3000), ("text/html", html)]


def test_quoted_printable_edge_cases() -> None:
    text = "a=b\ttrailing space \nend tab\t\n\nüber=\r\nmixed\rendings\n" + "x" * 200 + "é=\n"
    html = '<a href="https://e.com/?a=1&b=2">x</a>' + "=" * 5 + " " * 80 + "\t"
    data = build(text=text, html=html)
    assert_wire_format(data)
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert bodies(parse(data)) == [("text/plain", expected), ("text/html", html)]
    assert data.count(b"Content-Transfer-Encoding: quoted-printable") == 2
    assert b"trailing space=20\r\n" in data
    assert b"end tab=09\r\n" in data


def test_mostly_escapes_use_base64() -> None:
    html = "=" * 100
    data = build(html=html, text="é" * 200)
    assert data.count(b"Content-Transfer-Encoding: base64") == 2
    assert bodies(parse(data)) == [("text/plain", "é" * 200), ("text/html", html)]


def test_cjk_body_uses_base64() -> None:
    text = "春季大促销，全场五折。" * 50
    data = build(text=text, html=f"<p>{text}</p>")
    assert data.count(b"Content-Transfer-Encoding: base64") == 2
    assert_wire_format(data)
    assert bodies(parse(data)) == [("text/plain", text), ("text/html", f"<p>{text}</p>")]


def test_date_formatting() -> None:
    tz = timezone(timedelta(hours=-5, minutes=-30))
    data = build(date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=tz))
    assert b"\r\nDate: Tue, 02 Jan 2024 03:04:05 -0530\r\n" in data
    naive = build(date=datetime(2024, 1, 2, 3, 4, 5))
    assert b"\r\nDate: Tue, 02 Jan 2024 03:04:05 +0000\r\n" in naive


def test_extra_headers_are_encoded() -> None:
    msg = parse(build(extra_headers={"X-Campaign": "Frühling 2024", "X-Job": "spring"}))
    assert msg["X-Campaign"] == "Frühling 2024"
    assert msg["X-Job"] == "spring"


def test_message_id_for() -> None:
    first = message_id_for("seed", "job", "contact-1", domain="example.com")
    assert first == message_id_for("seed", "job", "contact-1", domain="example.com")
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", first)
    assert first != message_id_for("seed", "job", "contact-2", domain="example.com")
    # parts are length-prefixed: moving a boundary changes the id
    assert message_id_for("ab", "c", domain="e.com") != message_id_for("a", "bc", domain="e.com")
    assert message_id_for("x", domain="bücher.de").endswith("@xn--bcher-kva.de>")
    with pytest.raises(EmailBuildError):
        message_id_for("x", domain="bad domain")


def _expected_header(value: str) -> str:
    return _CONTROL.sub(" ", value).strip()


_header_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120
)


@settings(max_examples=300)
@given(subject=_header_text, name=_header_text)
def test_round_trip_arbitrary_subject_and_name(subject: str, name: str) -> None:
    data = build(subject=subject, to_name=name)
    assert_wire_format(data)
    msg = parse(data)
    assert msg["Subject"] == _expected_header(subject)
    assert msg["Bcc"] is None
    expected_name = " ".join(_expected_header(name).split())
    assert _display_name(data) == expected_name
    assert msg["To"].addresses[0].addr_spec == "anna@example.org"


def _display_name(data: bytes) -> str:
    """The To display name, decoded per RFC 2047.

    (The stdlib's address parser puts a space between adjacent encoded-words in a display
    name, which RFC 2047 says to drop; ``decode_header`` gets it right.)
    """
    raw = email.message_from_bytes(data, policy=policy.compat32)["To"]
    assert isinstance(raw, str)
    if "=?" not in raw:
        return str(parse(data)["To"].addresses[0].display_name)
    return str(make_header(decode_header(raw.rsplit("<", 1)[0].strip())))


@settings(max_examples=150)
@given(text=st.text(max_size=400), html=st.text(max_size=400))
def test_round_trip_arbitrary_bodies(text: str, html: str) -> None:
    data = build(text=text, html=html)
    assert_wire_format(data)
    msg = parse(data)
    normalize = lambda s: s.replace("\r\n", "\n").replace("\r", "\n")  # noqa: E731
    assert bodies(msg) == [("text/plain", normalize(text)), ("text/html", normalize(html))]


@settings(max_examples=200)
@given(subject=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=400))
def test_round_trip_ascii_subjects(subject: str) -> None:
    data = build(subject=subject)
    assert_wire_format(data)
    assert parse(data)["Subject"] == subject.strip()


def test_long_ascii_subject_is_folded() -> None:
    subject = " ".join(["word"] * 60) + " " + "x" * 1200
    data = build(subject=subject)
    assert_wire_format(data)
    assert parse(data)["Subject"] == subject


def test_idn_domains_follow_idna_2008() -> None:
    # IDNA 2003 would address straße.de to strasse.de, another domain.
    msg = parse(build(to_addr="ann@straße.de"))
    assert msg["To"].addresses[0].domain == "xn--strae-oqa.de"


@pytest.mark.parametrize(
    ("addr", "reason"),
    [("ann@☃.net", "IDNA 2008"), ("jörg@müller.de", "SMTPUTF8")],
)
def test_an_address_no_message_can_carry_says_why(addr: str, reason: str) -> None:
    with pytest.raises(EmailBuildError) as info:
        build(to_addr=addr)
    assert info.value.code == "eml.invalid_address"
    assert reason in info.value.message


def test_sender_and_reply_to_as_mailboxes() -> None:
    settings = EmailSettings(
        from_addr="Lumen <hello@straße.de>", reply_to='"Lumen Care, Inc." <care@example.com>'
    )
    msg = parse(build(settings=settings))
    assert msg["From"].addresses[0].display_name == "Lumen"
    assert msg["From"].addresses[0].addr_spec == "hello@xn--strae-oqa.de"
    assert msg["Reply-To"].addresses[0].display_name == "Lumen Care, Inc."
    assert msg["Reply-To"].addresses[0].addr_spec == "care@example.com"
    assert not msg.defects
    named = EmailSettings(from_addr="hello@example.com", from_name="Lumen Shop")
    assert parse(build(settings=named))["From"] == "Lumen Shop <hello@example.com>"
    with pytest.raises(EmailBuildError) as info:
        build(settings=EmailSettings(from_addr="Lumen <hello@example.com"))
    assert "from" in info.value.message and info.value.code == "eml.invalid_address"


@pytest.mark.parametrize(
    "addr",
    [
        "ann@example.com",
        "Ann.Lee+tag@Sub.Example.co.uk",
        "ann@straße.de",
        "ann@xn--strae-oqa.de",
        "ann@☃.net",
        "jörg@müller.de",
        "an..n@example.com",
        "ann@xn--zz.com",
        "ann@ＥＸＡＭＰＬＥ.com",
        "x" * 64 + "@example.com",
        "x" * 65 + "@example.com",
        "ann@example.com.",
    ],
)
def test_import_accepts_exactly_the_addresses_a_message_can_be_built_for(addr: str) -> None:
    from brandloom.audiences.mapping import plan_columns
    from brandloom.audiences.validation import ContactRow, build_validator

    check = build_validator(plan_columns(["email"], key=None, columns={}, required=()))
    imported = isinstance(check(1, [addr]), ContactRow)
    try:
        build(to_addr=addr)
    except EmailBuildError:
        built = False
    else:
        built = True
    assert imported == built
