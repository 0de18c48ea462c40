"""The address rules shared by import, EML building and QA."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brandloom.kit.address import (
    PLAIN_ADDRESS,
    Address,
    InvalidAddress,
    address_key,
    ascii_address,
    domain_to_ascii,
    parse_address,
    parse_mailbox,
)


def test_idna_2008_with_uts46_mapping() -> None:
    # IDNA 2003 (the standard library's codec) maps ß to ss: another domain than the one the
    # contact gave. IDNA 2008 keeps it.
    assert parse_address("ann@straße.de") == Address("ann", "xn--strae-oqa.de")
    assert parse_address("ann@Straße.DE").ascii == "ann@xn--strae-oqa.de"
    assert domain_to_ascii("ＥＸＡＭＰＬＥ.com") == "example.com"  # UTS 46 maps full-width forms
    assert domain_to_ascii("bücher.de") == "xn--bcher-kva.de"
    assert domain_to_ascii("localhost") == "localhost"  # a host name; addresses need a dot


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ann@☃.net", "IDNA 2008"),  # symbols are not allowed in IDNA 2008
        ("ann@xn--zz.com", "IDNA 2008"),  # an A-label that decodes to nothing valid
        ("jörg@müller.de", "SMTPUTF8"),
        ("ann", "no '@'"),
        ("@example.com", "before '@' is empty"),
        ("ann@", "domain is empty"),
        ("ann@localhost", "has no dot"),
        ("ann@example.com.", "ends with a dot"),
        ("an..n@example.com", "dot-atom"),
        (".ann@example.com", "dot-atom"),
        ('"a b"@example.com', "dot-atom"),
        ("ann@[192.0.2.1]", "IP address literals"),
        ("ann@ex_ample.com", "label 'ex_ample'"),
        ("ann@-example.com", "label '-example'"),
        ("x" * 65 + "@example.com", "longer than 64"),
        ("a@" + "b" * 63 + "." + "c" * 64, "label"),
        ("a@" + ("b" * 60 + ".") * 5 + "com", "longer than 253"),
        ("ann@example.com\r\nBcc: x@evil.com", "control character"),
    ],
)
def test_invalid_addresses_say_why(value: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        parse_address(value)
    assert reason in info.value.reason
    with pytest.raises(InvalidAddress):
        address_key(value)
    with pytest.raises(InvalidAddress):
        ascii_address(value)


def test_the_key_of_an_address_is_its_mailbox() -> None:
    assert address_key("Ann@Example.COM") == "ann@example.com"
    assert address_key("ANN@Straße.de") == address_key("ann@xn--strae-oqa.de")
    assert address_key("x" * 64 + "@example.com") == "x" * 64 + "@example.com"


@given(st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True))
def test_the_fast_path_agrees_with_the_full_rules(value: str) -> None:
    # PLAIN_ADDRESS is a shortcut only: whatever it accepts, the slow path accepts too.
    if PLAIN_ADDRESS(value) is None:
        return
    local, _, domain = value.rpartition("@")
    assert parse_address(value) == Address(local, domain)
    assert parse_address(value.upper()) == Address(local.upper(), domain)
    assert ascii_address(value.upper()) == parse_address(value.upper()).ascii
    assert address_key(value.upper()) == parse_address(value).key


@pytest.mark.parametrize(
    ("value", "display", "address"),
    [
        ("hello@example.com", None, "hello@example.com"),
        ("Lumen <hello@example.com>", "Lumen", "hello@example.com"),
        ('"Lumen, Inc." <hello@example.com>', "Lumen, Inc.", "hello@example.com"),
        ("Lümen <hello@straße.de>", "Lümen", "hello@xn--strae-oqa.de"),
        ("  <hello@example.com>  ", None, "hello@example.com"),
    ],
)
def test_mailboxes(value: str, display: str | None, address: str) -> None:
    mailbox = parse_mailbox(value)
    assert (mailbox.display_name, mailbox.address.ascii) == (display, address)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Lumen <hello@example.com", "missing trailing '>'"),
        ("a@example.com, b@example.com", "one address"),
        ("Team: a@example.com;", "one address"),
        ("Lumen hello@example.com", "not an RFC 5322 mailbox"),
        ("Lumen <hello@☃.net>", "IDNA 2008"),
        ("Jörg <jörg@müller.de>", "SMTPUTF8"),
        ("Lumen\r\nBcc: x@evil.com <a@example.com>", "control character"),
        ("Lumen <hello>", "no domain"),
        ("news@", "nothing after '@'"),
        ("", "empty"),
    ],
)
def test_invalid_mailboxes_say_why(value: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        parse_mailbox(value)
    assert reason in info.value.reason
