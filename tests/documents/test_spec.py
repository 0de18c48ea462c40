"""The spec's sender and locale fields, checked when the spec is read."""

from __future__ import annotations

from typing import Any

import pytest

from brandloom.documents.spec import SpecError, parse_spec

BASE: dict[str, Any] = {
    "name": "spring",
    "audience": {"path": "contacts.csv"},
    "template": {"subject": "Hi", "text": "Hello"},
    "outputs": ["eml"],
}


def spec(**overrides: Any) -> Any:
    return parse_spec({**BASE, **overrides})


def error(**overrides: Any) -> str:
    with pytest.raises(SpecError) as info:
        spec(**overrides)
    assert info.value.code == "spec.invalid"
    return info.value.message


def test_senders_are_rfc_5322_mailboxes() -> None:
    email = spec(email={"from": "Lumen <hello@example.com>"}).email
    assert (email.from_, email.from_name) == ("Lumen <hello@example.com>", None)
    email = spec(email={"from": "hello@example.com", "from_name": "Lumen"}).email
    assert (email.from_, email.from_name) == ("hello@example.com", "Lumen")
    email = spec(email={"from": "a@example.com", "reply_to": '"Care, Inc." <c@straße.de>'}).email
    assert email.reply_to == '"Care, Inc." <c@straße.de>'


@pytest.mark.parametrize(
    ("email", "field", "reason"),
    [
        ({"from": "Lumen <hello@example.com"}, "email.from", "missing trailing '>'"),
        ({"from": "ann@☃.net"}, "email.from", "IDNA 2008"),
        ({"from": "jörg@müller.de"}, "email.from", "SMTPUTF8"),
        ({"from": "a@example.com, b@example.com"}, "email.from", "one address"),
        ({"from": "Lumen <a@example.com>", "from_name": "L"}, "email.from_name", "'Lumen'"),
        ({"from": "a@example.com", "reply_to": "Care <care>"}, "email.reply_to", "no domain"),
        ({"from": "a@example.com", "unsubscribe_mailto": "mailto:u@x?s=1"}, "email.unsub", "dot"),
    ],
)
def test_a_bad_sender_names_its_field(email: dict[str, str], field: str, reason: str) -> None:
    message = error(email=email)
    assert f": {field}" in message and reason in message


def test_the_default_locale_is_one_cldr_knows() -> None:
    assert spec(locale="pa-PK", outputs=["txt"]).locale == "pa-PK"
    assert "locale: " in error(locale="xx-YY") and "CLDR" in error(locale="xx-YY")
