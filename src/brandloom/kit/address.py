"""E-mail addresses and domain names: one set of rules for import, EML building and QA.

- A domain goes to ASCII by IDNA 2008 with the UTS #46 mapping (the ``idna`` package,
  non-transitional): ``Straße.de`` is ``xn--strae-oqa.de`` everywhere (IDNA 2003, the standard
  library's codec, would say ``strasse.de``, another domain), and symbols such as ``☃`` are
  refused. The ASCII form is lowercase, every label letters/digits/hyphens of 1-63 characters
  not starting or ending with a hyphen, the whole name at most 253 characters.
- An address is ``local@domain``: the local part an ASCII dot-atom (RFC 5322: letters, digits,
  ``!#$%&'*+/=?^_`{|}~-``, single dots between them) of at most 64 characters; the domain as
  above with at least one dot (a contact at ``localhost`` cannot be mailed); the whole address
  at most 254 characters in its ASCII form. Quoted local parts and IP literals are refused.
- A non-ASCII local part (``jörg@müller.de``) needs SMTPUTF8 (RFC 6531) from every server on
  the way, which brandloom's messages do not use: it is refused with a reason that says so.
- A mailbox (``Lumen <hello@example.com>``), as a sender is usually written, is parsed by the
  standard library's RFC 5322 parser (:mod:`email.headerregistry`), then its address as above.

The common case, a plain ASCII address, is one precompiled regex (:data:`PLAIN_ADDRESS`); the
rest goes through :func:`parse_address`, which says what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import AddressHeader, HeaderRegistry
from functools import lru_cache
from typing import cast

import idna

__all__ = [
    "MAX_ADDRESS_LENGTH",
    "MAX_LOCAL_LENGTH",
    "PLAIN_ADDRESS",
    "Address",
    "InvalidAddress",
    "Mailbox",
    "address_key",
    "ascii_address",
    "domain_to_ascii",
    "parse_address",
    "parse_mailbox",
]

MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_LENGTH = 64
_MAX_DOMAIN_LENGTH = 253

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*").fullmatch
_LDH_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)").fullmatch
# C0/C1 controls, DEL and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]").search

#: ``fullmatch`` of a plain ASCII address that needs no IDNA work: a dot-atom local part of at
#: most 64 characters, LDH labels with at least one dot and no ``xn--`` (an A-label is checked
#: by IDNA). Possessive quantifiers, no backtracking. The caller still checks the whole length
#: (at most :data:`MAX_ADDRESS_LENGTH`).
PLAIN_ADDRESS = re.compile(
    rf"(?=[^@]{{1,64}}+@){_ATEXT}++(?:\.{_ATEXT}++)*+@"
    r"(?:(?![xX][nN]--)(?!-)[A-Za-z0-9-]{1,63}+(?<!-)\.)++"
    r"(?![xX][nN]--)(?!-)[A-Za-z0-9-]{1,63}+(?<!-)"
).fullmatch


class InvalidAddress(ValueError):
    """An address, mailbox or domain that breaks the rules above; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Address:
    """A valid address: the local part as given, the domain in ASCII (lowercase A-labels)."""

    local: str
    domain: str

    @property
    def ascii(self) -> str:
        """``local@domain`` as it goes into a message header."""
        return f"{self.local}@{self.domain}"

    @property
    def key(self) -> str:
        """The address compared case-insensitively: two contacts with equal keys share a
        mailbox (:func:`address_key`)."""
        return self.ascii.lower()


@dataclass(frozen=True, slots=True)
class Mailbox:
    """``display name <address>``; ``display_name`` is None when there is none."""

    display_name: str | None
    address: Address


@lru_cache(maxsize=4096)
def _domain(domain: str) -> tuple[str | None, str]:
    """(ASCII form, "") or (None, the reason it is not a domain name)."""
    name = domain[:-1] if domain.endswith(".") else domain
    if not name:
        return None, "the domain is empty"
    if len(name) > _MAX_DOMAIN_LENGTH * 4:
        return None, "the domain is longer than 253 characters"
    lowered = name.lower()
    if name.isascii() and "xn--" not in lowered:
        ascii_name = lowered
    else:
        try:
            ascii_name = idna.encode(name, uts46=True).decode("ascii").lower()
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            return None, f"{name!r} is not a valid domain name (IDNA 2008: {exc})"
    if len(ascii_name) > _MAX_DOMAIN_LENGTH:
        return None, "the domain is longer than 253 characters"
    for label in ascii_name.split("."):
        if _LDH_LABEL(label) is None:
            return None, (
                f"{name!r} is not a valid domain name (label {label!r}: letters, digits and "
                "inner hyphens, 1-63 characters)"
            )
    return ascii_name, ""


def domain_to_ascii(domain: str) -> str | None:
    """Lowercase ASCII form of a host name (A-labels for IDN labels), or None when invalid.

    A trailing dot is dropped. Unlike an address's domain, a single label is a host name.
    """
    return _domain(domain)[0]


def parse_address(value: str) -> Address:
    """``local@domain`` checked by the rules of this module; raises :class:`InvalidAddress`.

    ``value`` is taken as is: surrounding whitespace makes it invalid (strip it first).
    """
    if PLAIN_ADDRESS(value) is not None and len(value) <= MAX_ADDRESS_LENGTH:
        local, _, domain = value.rpartition("@")
        return Address(local, domain.lower())
    if _CONTROL(value) is not None:
        raise InvalidAddress("it contains a line break or another control character")
    local, at, domain = value.rpartition("@")
    if not at:
        raise InvalidAddress("it has no '@'")
    if not local:
        raise InvalidAddress("the part before '@' is empty")
    if not local.isascii():
        raise InvalidAddress(
            f"the local part {local!r} is not ASCII: internationalized addresses need SMTPUTF8, "
            "which brandloom does not support"
        )
    if _DOT_ATOM(local) is None:
        raise InvalidAddress(
            f"the local part {local!r} is not a dot-atom (letters, digits, "
            "!#$%&'*+/=?^_`{|}~- and single dots between them; no quotes or spaces)"
        )
    if len(local) > MAX_LOCAL_LENGTH:
        raise InvalidAddress(f"the local part is longer than {MAX_LOCAL_LENGTH} characters")
    if domain.startswith("["):
        raise InvalidAddress("IP address literals are not supported; give a domain name")
    ascii_domain, reason = _domain(domain) if domain == domain.strip() else (None, "")
    if ascii_domain is None:
        raise InvalidAddress(reason or f"{domain!r} is not a valid domain name")
    if domain.endswith("."):
        raise InvalidAddress(f"the domain {domain!r} ends with a dot")
    if "." not in ascii_domain:
        raise InvalidAddress(f"the domain {domain!r} has no dot")
    result = Address(local, ascii_domain)
    if len(result.ascii) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(f"the address is longer than {MAX_ADDRESS_LENGTH} characters")
    return result


def ascii_address(value: str) -> str:
    """:attr:`Address.ascii` of ``value`` (raises :class:`InvalidAddress`); the plain case
    without building an :class:`Address` (the EML builder calls it per message)."""
    if PLAIN_ADDRESS(value) is not None and len(value) <= MAX_ADDRESS_LENGTH:
        at = value.rindex("@")
        return value[:at] + value[at:].lower()
    return parse_address(value).ascii


def address_key(value: str) -> str:
    """The key two addresses share when they reach the same mailbox: lowercase, the domain in
    ASCII (``Ann@Straße.de`` and ``ann@xn--strae-oqa.de`` are one). Raises
    :class:`InvalidAddress`."""
    if PLAIN_ADDRESS(value) is not None and len(value) <= MAX_ADDRESS_LENGTH:
        return value.lower()
    return parse_address(value).key


_HEADERS = HeaderRegistry()


@lru_cache(maxsize=256)
def parse_mailbox(value: str) -> Mailbox:
    """One RFC 5322 mailbox: ``hello@example.com``, ``Lumen <hello@example.com>`` or
    ``"Lumen, Inc." <hello@example.com>``; raises :class:`InvalidAddress`.

    The standard library parses it; anything it reports as a defect (an unclosed ``<``, two
    addresses, a group) is refused, and the address must pass :func:`parse_address`.
    """
    text = value.strip()
    if not text:
        raise InvalidAddress("it is empty")
    if _CONTROL(text) is not None:
        raise InvalidAddress("it contains a line break or another control character")
    try:
        parsed = _HEADERS("from", text)  # a BaseHeader that is an AddressHeader too
    except IndexError:  # the standard library's parser fails on "news@" (nothing after '@')
        raise InvalidAddress("it is not an RFC 5322 mailbox (nothing after '@')") from None
    header = cast(AddressHeader, parsed)
    defects = [d for d in parsed.defects if not isinstance(d, NonASCIILocalPartDefect)]
    groups = header.groups
    if len(groups) != 1 or groups[0].display_name is not None or len(header.addresses) != 1:
        raise InvalidAddress("give one address, like 'Name <name@example.com>'")
    if defects:
        raise InvalidAddress(f"it is not an RFC 5322 mailbox ({defects[0]})")
    found = header.addresses[0]
    if not found.domain:
        raise InvalidAddress("it has no '@'")
    # A quoted local part comes back unquoted and is refused as no dot-atom.
    address = parse_address(f"{found.username}@{found.domain}")
    return Mailbox(found.display_name or None, address)
