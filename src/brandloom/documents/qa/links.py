"""Links in the HTML (every element's ``href`` and ``src`` as a parser reads them: not in
comments, not ``data-href``), the text, the markdown and the SMS: valid, secure,
to public hosts (and only allowed ones, when listed), with UTM parameters when required.

URL and host verdicts are cached per job (documents of one job share most of their links).
The links' hosts are left in :attr:`QADocument.link_hosts` for the spam score.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.documents.qa._html import MD_TARGET_RE, text_urls
from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QADocument,
    QAIssue,
    Severity,
    any_on,
    example_list,
    levels,
    shorten,
)
from brandloom.kit.address import domain_to_ascii

CODES: dict[str, IssueLevel] = {
    "link.invalid": "fail",
    "link.insecure": "warn",
    "link.private_host": "fail",
    "link.host_not_allowed": "fail",
    "link.missing_utm": "warn",
}
_TITLES = {
    "link.invalid": "Invalid link",
    "link.insecure": "Insecure (http) link",
    "link.private_host": "Link to a private/local host",
    "link.host_not_allowed": "Link to a host not in allowed_link_hosts",
    "link.missing_utm": "Link without UTM parameters",
}


class LinksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_https: bool = True
    require_utm: bool = False
    #: When set, http(s) links must point to one of these hosts or their subdomains.
    allowed_link_hosts: list[str] | None = Field(
        default=None, description="e.g. [shop.example.com] (and their subdomains)"
    )

    @field_validator("allowed_link_hosts")
    @classmethod
    def _normalize_hosts(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        hosts: list[str] = []
        for raw in value:
            host = raw.strip().lower()
            host = host.removeprefix("*.").removeprefix(".")
            try:
                hosts.append(str(ipaddress.ip_address(host.strip("[]"))))
                continue
            except ValueError:
                pass
            ascii_host = domain_to_ascii(host)
            if ascii_host is None:
                raise ValueError(f"invalid host name in allowed_link_hosts: {raw!r}")
            hosts.append(ascii_host)
        return hosts


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TEMPLATE_LEFTOVERS = ("{{", "}}", "{%", "%}", "{#", "#}", "*|", "|*", "[[", "]]", "${")
_LEFTOVER_CHARS_RE = re.compile(r"[{}|\[\]$%#*]")
_SAFE_SCHEMES = frozenset({"mailto", "tel", "sms", "cid"})
_PRIVATE_SUFFIXES = (
    ".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain",
    ".test", ".invalid",
)  # fmt: skip
_UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign")
_CACHE_LIMIT = 20_000

# Host verdicts: ("ok"|"private"|"invalid", ascii host or reason)
_HostVerdict = tuple[str, str]


def _parse_ipv4_loose(host: str) -> ipaddress.IPv4Address:
    """IPv4 the way browsers and ``inet_aton`` read it: 1-4 parts, decimal/octal/hex.

    So ``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` are all 127.0.0.1. Raises ValueError
    for a host that is not such a number.
    """
    parts = host.split(".")
    if not parts[-1]:
        parts.pop()
    if not parts or len(parts) > 4:
        raise ValueError(host)
    numbers: list[int] = []
    for part in parts:
        if part[:2].lower() == "0x":
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        if not digits.isascii() or not digits.isalnum():
            raise ValueError(host)
        numbers.append(int(digits, base))  # ValueError when not a number
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(host)
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _classify_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> _HostVerdict:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        return ("private", str(ip))
    return ("ok", str(ip))


def _classify_host(host: str) -> _HostVerdict:
    if host.startswith("["):
        if not host.endswith("]"):
            return ("invalid", "malformed IPv6 host")
        literal = host[1:-1]
        if "%" in literal:  # zone id: only meaningful on a local link
            return ("private", literal)
        try:
            return _classify_ip(ipaddress.IPv6Address(literal))
        except ValueError:
            return ("invalid", "malformed IPv6 host")
    if "%" in host:
        return ("invalid", "percent-encoded host")
    name = host.lower().rstrip(".")
    last = name.rsplit(".", 1)[-1]
    if last.isascii() and (last.isdigit() or last.startswith("0x")):
        # Like browsers: a numeric last label makes the host an IPv4 address (in any form).
        try:
            return _classify_ip(_parse_ipv4_loose(name))
        except ValueError:
            return ("invalid", "malformed IPv4 host")
    ascii_host = domain_to_ascii(name)
    if ascii_host is None:
        return ("invalid", "malformed host name")
    if "." not in ascii_host or ascii_host == "localhost" or ascii_host.endswith(_PRIVATE_SUFFIXES):
        return ("private", ascii_host)
    return ("ok", ascii_host)


@dataclass(frozen=True, slots=True)
class _LinkVerdict:
    problems: tuple[tuple[str, str], ...]  # (issue code, detail)
    host: str | None  # ascii host of http(s) links


class _LinkChecker:
    def __init__(self, config: LinksConfig) -> None:
        self._require_https = config.require_https
        self._require_utm = config.require_utm
        self._allowed = tuple(config.allowed_link_hosts) if config.allowed_link_hosts else None
        self._hosts: dict[str, _HostVerdict] = {}
        self._urls: dict[tuple[str, bool], _LinkVerdict] = {}

    def verdict(self, url: str, navigational: bool) -> _LinkVerdict:
        key = (url, navigational)
        found = self._urls.get(key)
        if found is None:
            if len(self._urls) >= _CACHE_LIMIT:
                self._urls.clear()
            found = self._urls[key] = self._check(url, navigational)
        return found

    def _host(self, host: str) -> _HostVerdict:
        found = self._hosts.get(host)
        if found is None:
            if len(self._hosts) >= _CACHE_LIMIT:
                self._hosts.clear()
            found = self._hosts[host] = _classify_host(host)
        return found

    def _check(self, url: str, navigational: bool) -> _LinkVerdict:
        def invalid(reason: str) -> _LinkVerdict:
            return _LinkVerdict((("link.invalid", reason),), None)

        if not url:
            return invalid("empty link")
        if _LEFTOVER_CHARS_RE.search(url) and any(m in url for m in _TEMPLATE_LEFTOVERS):
            return invalid("unrendered template syntax")
        if url.startswith("#"):
            return _LinkVerdict((), None)
        if " " in url or not url.isprintable():  # other whitespace is not printable
            return invalid("whitespace or control characters")
        scheme_match = _SCHEME_RE.match(url)
        if scheme_match is None:
            if url.startswith("//"):
                return invalid("protocol-relative URL (no scheme)")
            return invalid("relative URL (no scheme)")
        scheme = scheme_match.group(1).lower()
        rest = url[scheme_match.end() :]
        if scheme in _SAFE_SCHEMES:
            return _LinkVerdict((), None) if rest else invalid(f"empty {scheme}: link")
        if scheme == "data":
            if not navigational and rest.lower().startswith("image/"):
                return _LinkVerdict((), None)
            return invalid("data: URL")
        if scheme not in ("http", "https"):
            return invalid(f"unsupported scheme {scheme}:")
        if not rest.startswith("//"):
            return invalid("missing //host")
        authority_end = len(rest)
        for sep in "/?#":
            pos = rest.find(sep, 2)
            if 0 <= pos < authority_end:
                authority_end = pos
        authority = rest[2:authority_end]
        if "@" in authority:
            return invalid("credentials in URL")
        host = authority
        if authority.startswith("["):
            close = authority.find("]")
            host, port = authority[: close + 1], authority[close + 1 :]
            if close < 0 or (port and not port.startswith(":")):
                return invalid("malformed IPv6 host")
            port = port[1:]
        else:
            host, _, port = authority.partition(":")
        if port and (not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536):
            return invalid("invalid port")
        if not host:
            return invalid("missing host")
        state, detail = self._host(host)
        if state == "invalid":
            return invalid(detail)
        problems: list[tuple[str, str]] = []
        if state == "private":
            problems.append(("link.private_host", detail))
        elif self._allowed is not None and not any(
            detail == allowed or detail.endswith("." + allowed) for allowed in self._allowed
        ):
            problems.append(("link.host_not_allowed", detail))
        if self._require_https and scheme == "http":
            problems.append(("link.insecure", "http"))
        if self._require_utm and navigational:
            query = rest[authority_end:].partition("?")[2].partition("#")[0]
            keys = {pair.partition("=")[0] for pair in query.split("&")}
            missing = [p for p in _UTM_PARAMS if p not in keys]
            if missing:
                problems.append(("link.missing_utm", ", ".join(missing)))
        return _LinkVerdict(tuple(problems), detail)


class LinksCheck:
    """Issues of one code are grouped into one issue listing up to five examples; ``src`` URLs
    (images) are exempt from the UTM rule."""

    def __init__(self, config: LinksConfig, found: Mapping[str, str]) -> None:
        self._links = _LinkChecker(config)
        self._levels = [(code, level) for code, level in found.items() if level != "off"]

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        parts = doc.parts
        html = doc.html
        links: dict[tuple[str, bool], str] = {}  # (url, navigational) -> where
        if html is not None:
            facts = doc.html_facts
            for url in facts.hrefs:
                links.setdefault((url, True), "html")
            for url in facts.srcs:
                links.setdefault((url, False), "html")
        for name in ("text", "markdown", "sms"):
            value = parts.get(name)
            if not value:
                continue
            for url in text_urls(value):
                links.setdefault((url, True), name)
            if name == "markdown" and "](" in value:
                for url in MD_TARGET_RE.findall(value):
                    links.setdefault((url, True), name)
        found: dict[str, list[str]] = {}
        hosts: list[str] = []
        for (url, navigational), where in links.items():
            verdict = self._links.verdict(url, navigational)
            if verdict.host is not None:
                hosts.append(verdict.host)
            for code, detail in verdict.problems:
                found.setdefault(code, []).append(f"{shorten(url)!r} in {where} ({detail})")
        doc.link_hosts = hosts
        if not found:
            return NO_ISSUES
        issues = []
        for code, level in self._levels:
            items = found.get(code)
            if items:
                issues.append(QAIssue(code, level, f"{_TITLES[code]}: {example_list(items)}"))
        return issues


def build(config: LinksConfig, overrides: Mapping[str, Severity]) -> LinksCheck | None:
    """The check for one job; None when every link code is off (then no link is looked at)."""
    off = []
    if not config.require_utm:
        off.append("link.missing_utm")
    if not config.require_https:
        off.append("link.insecure")
    if config.allowed_link_hosts is None:
        off.append("link.host_not_allowed")
    found = levels(CODES, overrides, off=off)
    return LinksCheck(config, found) if any_on(found) else None


CHECK = QACheckDefinition(name="links", codes=CODES, config=LinksConfig, build=build, flat=True)
