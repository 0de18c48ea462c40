"""Pre-send quality checks of one rendered document (email and/or SMS parts).

:class:`QAChecker` compiles a job's :class:`QAConfig` once; :meth:`QAChecker.check` then runs
per document and returns a :class:`QAResult` with stable issue codes (see :data:`ISSUE_CODES`
for the codes and their default severities).

Speed notes (``check`` runs once per contact): phrase lists are matched through one
tokenization of each part (a set of casefolded words) and set intersections, so hundreds of
banned phrases cost about as much as one; multi-word phrases are confirmed with a precompiled
regex only when all their words occur. Link hosts and URL verdicts are cached per checker.
Parts are tokenized line by line through a bounded process-wide cache of line scans: the
documents of one job share most of their lines (the template's copy), so those are tokenized
once (tests check the result equals tokenizing the whole text).

Matching rules for banned, required and spam phrases: case-insensitive (Unicode casefolding,
so ``STRASSE`` matches ``Straße``), whole words (``free`` does not match ``freedom``), any run
of whitespace matches a space in the phrase, and ``’`` counts as ``'``. A phrase in a script
written without spaces (Chinese, Japanese, Thai, ...) is matched as a plain substring.
Phrases are searched in the subject, the preheader, the SMS and the body: the text part, else
the markdown part, else the HTML with its tags stripped. A required phrase is satisfied when it
occurs in any of these parts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache, reduce
from html import unescape
from importlib import resources
from operator import or_
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from brandloom.documents.formats._idn import domain_to_ascii
from brandloom.documents.formats.sms import sms_info

__all__ = [
    "ISSUE_CODES",
    "QAChecker",
    "QAConfig",
    "QAInput",
    "QAIssue",
    "QAResult",
    "load_spam_phrases",
]

#: Every issue code with its default severity.
ISSUE_CODES: dict[str, str] = {
    "variable.unresolved": "fail",
    "variable.empty": "warn",
    "subject.missing": "fail",
    "subject.too_long": "warn",
    "preheader.too_long": "warn",
    "sms.too_many_segments": "fail",
    "phrase.banned": "fail",
    "phrase.required_missing": "fail",
    "link.invalid": "fail",
    "link.insecure": "warn",
    "link.private_host": "fail",
    "link.host_not_allowed": "fail",
    "link.missing_utm": "warn",
    "image.missing_alt": "warn",
    "spam.score": "warn",  # fail at >= spam_threshold, warn at >= spam_threshold / 2
    "consent.missing": "fail",
}

Severity = Literal["fail", "warn", "off"]
_Adder = Callable[[str, str], None]


class QAConfig(BaseModel):
    """Per-job QA settings (the job spec's ``qa:`` section); unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    subject_max_chars: int = Field(default=78, ge=1)
    subject_required: bool = True
    preheader_max_chars: int = Field(default=140, ge=1)
    sms_max_segments: int = Field(default=2, ge=1)
    banned_phrases: list[str] = Field(default_factory=list)
    required_phrases: list[str] = Field(default_factory=list)
    require_https: bool = True
    require_utm: bool = False
    #: When set, http(s) links must point to one of these hosts or their subdomains.
    allowed_link_hosts: list[str] | None = None
    check_images_alt: bool = True
    spam_threshold: float = Field(default=5.0, gt=0)
    require_consent: bool = False
    #: Per-issue-code severity overrides; ``off`` disables a check.
    severity: dict[str, Severity] = Field(default_factory=dict)

    @field_validator("banned_phrases", "required_phrases")
    @classmethod
    def _strip_phrases(cls, value: list[str]) -> list[str]:
        return [p.strip() for p in value if p.strip()]

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

    @field_validator("severity")
    @classmethod
    def _known_codes(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        unknown = sorted(set(value) - set(ISSUE_CODES))
        if unknown:
            raise ValueError(
                f"unknown QA issue code(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(ISSUE_CODES))}"
            )
        return value


@dataclass(frozen=True, slots=True)
class QAIssue:
    code: str
    severity: str  # "fail" | "warn"
    message: str


@dataclass(frozen=True, slots=True)
class QAResult:
    status: str  # "pass" | "warn" | "fail"
    issues: tuple[QAIssue, ...]
    spam_score: float


@dataclass(slots=True)
class QAInput:
    """One rendered document: ``parts`` has any of subject, preheader, html, text, markdown, sms."""

    parts: Mapping[str, str]
    unresolved: Sequence[str] = ()
    empty: Sequence[str] = ()
    consent: str = "unknown"  # granted | denied | unknown


# --- text scanning and phrase matching --------------------------------------------------------

_ASCII_NONWORD_BYTES = bytes(
    32 if c < 128 and not (chr(c).isalnum() or c == 95) else c for c in range(256)
)
_NONWORD_RE = re.compile(r"\W+")
_WORDLIKE_RE = re.compile(r"\w")
# Scripts written without spaces between words: phrases in them match as substrings.
_UNSPACED_RE = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f]"
)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _normalize(text: str) -> str:
    folded = text.casefold()
    if "\u2019" in folded:
        folded = folded.replace("\u2019", "'")
    return folded


@dataclass(slots=True)
class _Scan:
    """A part prepared for matching: casefolded text and its set of words, plus what the spam
    score counts in it: ASCII letters, ASCII capitals and ``marks`` (1: ``!!!``, 2: ``$$$``)."""

    folded: str
    words: AbstractSet[str]
    letters: int = 0
    upper: int = 0
    marks: int = 0


def _words(folded: str) -> frozenset[str]:
    """The maximal runs of ``\\w`` characters of (casefolded) text."""
    # Blank out ASCII non-word characters in one bytes.translate (the UTF-8 bytes of other
    # characters are >= 0x80 and stay), split on whitespace (all of it is \W), and re-split
    # with the regex only the few tokens that are not pure ASCII. Same result as
    # ``set(_NONWORD_RE.sub(" ", folded).split())``, several times faster.
    blanked = folded.encode("utf-8", "surrogatepass").translate(_ASCII_NONWORD_BYTES)
    if folded.isascii():
        return frozenset(blanked.decode("ascii").split())
    words = set(blanked.decode("utf-8", "surrogatepass").split())
    odd = [word for word in words if not word.isascii()]
    if odd:
        words.difference_update(odd)
        for word in odd:
            words.update(_NONWORD_RE.sub(" ", word).split())
    return frozenset(words)


# Line -> its _Scan fields. Casefolding maps each character on its own, "\n" is not a word
# character, and neither letters nor "!!!"/"$$$" span a line break, so a text's scan is made of
# its lines' scans; documents of one job share most of their lines (the template's copy), so
# those are scanned once.
_LINE_CACHE_LIMIT = 2048
_LINE_CACHE_MAX_CHARS = 4096
_LineScan = tuple[str, frozenset[str], int, int, int]
_line_scans: dict[str, _LineScan] = {}
_LETTER_CLASSES = bytes(85 if 65 <= b <= 90 else 108 if 97 <= b <= 122 else 0 for b in range(256))


def _scan_line(line: str) -> _LineScan:
    found = _line_scans.get(line)
    if found is None:
        folded = line.casefold()
        if "\u2019" in folded:
            folded = folded.replace("\u2019", "'")  # as _normalize
        # ASCII capitals -> "U", other ASCII letters -> "l", anything else (including every
        # byte of a non-ASCII character) -> NUL; then count.
        classes = line.encode("utf-8", "surrogatepass").translate(_LETTER_CLASSES)
        upper = classes.count(85)
        marks = ("!!!" in line) | ("$$$" in line) << 1
        found = (folded, _words(folded), upper + classes.count(108), upper, marks)
        if len(line) <= _LINE_CACHE_MAX_CHARS:
            if len(_line_scans) >= _LINE_CACHE_LIMIT:
                _line_scans.clear()
            _line_scans[line] = found
    return found


def _scan(text: str) -> _Scan:
    """Casefold ``text`` and collect its words (see :func:`_words`) and counts, line by line."""
    if "\n" not in text:
        return _Scan(*_scan_line(text))
    lines = text.split("\n")
    found: list[_LineScan | None] = list(map(_line_scans.get, lines))
    if None in found:  # scan the lines not in the cache (the loop only visits those)
        index = found.index(None)
        try:
            while True:
                found[index] = _scan_line(lines[index])
                index = found.index(None, index + 1)
        except ValueError:
            pass
    folded, words, letters, upper, marks = zip(*found, strict=True)
    return _Scan(
        "\n".join(folded), set().union(*words), sum(letters), sum(upper), reduce(or_, marks)
    )


@dataclass(frozen=True, slots=True)
class _Multi:
    index: int
    words: frozenset[str]
    pattern: re.Pattern[str]
    left_boundary: bool


class _PhraseMatcher:
    """Finds which of many phrases occur in a :class:`_Scan` (see the module doc for rules)."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.labels: list[str] = []
        self._single: dict[str, int] = {}
        self._by_anchor: dict[str, list[_Multi]] = {}
        self._substrings: list[tuple[int, str]] = []
        seen: set[str] = set()
        for phrase in phrases:
            key = " ".join(_normalize(phrase).split())
            if not key or key in seen:
                continue
            seen.add(key)
            index = len(self.labels)
            self.labels.append(phrase.strip())
            words = _NONWORD_RE.sub(" ", key).split()
            if not words or _UNSPACED_RE.search(key):
                self._substrings.append((index, key))
            elif words == [key]:
                self._single[key] = index
            else:
                body = r"\s+".join(re.escape(w) for w in key.split(" "))
                if _is_word_char(key[-1]):
                    body += r"(?!\w)"
                multi = _Multi(index, frozenset(words), re.compile(body), _is_word_char(key[0]))
                anchor = max(words, key=len)
                self._by_anchor.setdefault(anchor, []).append(multi)
        self._single_keys = frozenset(self._single)
        self._anchor_keys = frozenset(self._by_anchor)

    def __len__(self) -> int:
        return len(self.labels)

    def find(self, scan: _Scan) -> set[int]:
        words = scan.words
        found = {self._single[w] for w in self._single_keys.intersection(words)}
        for anchor in self._anchor_keys.intersection(words):
            for multi in self._by_anchor[anchor]:
                if (
                    multi.index not in found
                    and multi.words <= words
                    and _confirm(multi, scan.folded)
                ):
                    found.add(multi.index)
        for index, needle in self._substrings:
            if needle in scan.folded:
                found.add(index)
        return found


def _confirm(multi: _Multi, text: str) -> bool:
    for match in multi.pattern.finditer(text):
        start = match.start()
        if not multi.left_boundary or start == 0 or not _is_word_char(text[start - 1]):
            return True
    return False


@cache
def load_spam_phrases() -> tuple[tuple[str, float], ...]:
    """The shipped spam-trigger phrases with their weights (``data/spam_phrases.tsv``)."""
    path = resources.files("brandloom.documents").joinpath("data", "spam_phrases.tsv")
    phrases: list[tuple[str, float]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, weight = line.partition("\t")
        phrases.append((phrase.strip(), float(weight)))
    return tuple(phrases)


# --- HTML helpers ---------------------------------------------------------------------------------

_HREF_RE = re.compile(r"""href\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_SRC_RE = re.compile(r"""src\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_ALT_RE = re.compile(r"""\salt(?:\s*=|[\s/>]|$)""")
_STRIP_BLOCKS_RE = re.compile(
    r"<(style|script|head|title)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_TAG_RE = re.compile(r"<[^>]*>")
_TEXT_URL_RE = re.compile(r"""https?://[^\s<>"'`]+""")
_MD_TARGET_RE = re.compile(r"""\]\(\s*<?([^)\s>]+)""")


_ASCII_BYTES = bytes(range(128))


def _lower(text: str) -> str:
    """``text.lower()``, much faster for mostly-ASCII text with only caseless other characters.

    ``str.lower`` goes character by character through the Unicode tables as soon as one
    character is not ASCII. When every non-ASCII character lowercases to itself, the result
    is the text with only its ASCII letters lowered, which ``bytes.lower`` does on the UTF-8
    encoding (multi-byte sequences are all >= 0x80 and untouched). Otherwise (say, for an
    uppercase non-ASCII letter) this is ``text.lower()`` itself.
    """
    if text.isascii():
        return text.lower()
    data = text.encode("utf-8", "surrogatepass")
    others = data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    if others.lower() != others:
        return text.lower()
    return data.lower().decode("utf-8", "surrogatepass")


def _strip_html(html: str) -> str:
    text = _TAG_RE.sub(" ", _STRIP_BLOCKS_RE.sub(" ", html))
    return unescape(text) if "&" in text else text


def _attribute_values(html: str, lowered: str, pattern: re.Pattern[str]) -> list[str]:
    source = html if len(lowered) == len(html) else lowered
    values = []
    for match in pattern.finditer(lowered):
        start, end = match.span(1)
        value = source[start:end]
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        if "&" in value:
            value = value.replace("&amp;", "&")  # by far the most common entity in URLs
            if "&" in value and ";" in value:
                value = unescape(value)
        values.append(value.strip())
    return values


def _text_urls(text: str) -> list[str]:
    urls = []
    if "://" in text:
        for url in _TEXT_URL_RE.findall(text):
            url = url.rstrip(".,;:!?'\"")
            if url.endswith(")") and "(" not in url:
                url = url.rstrip(")")
            if url.endswith("]") and "[" not in url:
                url = url.rstrip("]")
            urls.append(url)
    return urls


# --- links --------------------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TEMPLATE_LEFTOVERS = ("{{", "}}", "{%", "%}", "{#", "#}", "*|", "|*", "[[", "]]", "${")
_LEFTOVER_CHARS_RE = re.compile(r"[{}|\[\]$%#*]")
_SAFE_SCHEMES = frozenset({"mailto", "tel", "sms", "cid"})
_PRIVATE_SUFFIXES = (
    ".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain",
    ".test", ".invalid",
)  # fmt: skip
_SHORTENERS = frozenset(
    {
        "bit.ly", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
        "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly",
    }
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
    def __init__(self, config: QAConfig) -> None:
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


# --- the checker ----------------------------------------------------------------------------------

_LINK_CODES = (
    "link.invalid",
    "link.insecure",
    "link.private_host",
    "link.host_not_allowed",
    "link.missing_utm",
)
_LINK_TITLES = {
    "link.invalid": "Invalid link",
    "link.insecure": "Insecure (http) link",
    "link.private_host": "Link to a private/local host",
    "link.host_not_allowed": "Link to a host not in allowed_link_hosts",
    "link.missing_utm": "Link without UTM parameters",
}
_MAX_EXAMPLES = 5


def _short(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _examples(items: Sequence[str]) -> str:
    shown = "; ".join(items[:_MAX_EXAMPLES])
    if len(items) > _MAX_EXAMPLES:
        shown += f" (+{len(items) - _MAX_EXAMPLES} more)"
    return shown


class QAChecker:
    """Runs the QA checks of one job; build once, call :meth:`check` per document."""

    def __init__(self, config: QAConfig) -> None:
        self.config = config
        severity = dict(ISSUE_CODES)
        severity.update(config.severity)
        if not config.check_images_alt:
            severity["image.missing_alt"] = "off"
        if not config.require_consent:
            severity["consent.missing"] = "off"
        if not config.subject_required:
            severity["subject.missing"] = "off"
        if not config.require_utm:
            severity["link.missing_utm"] = "off"
        if not config.require_https:
            severity["link.insecure"] = "off"
        if config.allowed_link_hosts is None:
            severity["link.host_not_allowed"] = "off"
        self._severity = severity
        self._spam_override = config.severity.get("spam.score")
        self._banned = _PhraseMatcher(config.banned_phrases)
        self._required = _PhraseMatcher(config.required_phrases)
        spam = load_spam_phrases()
        self._spam = _PhraseMatcher(p for p, _ in spam)
        weights = {" ".join(_normalize(p).split()): w for p, w in spam}
        self._spam_weights = [weights[" ".join(_normalize(p).split())] for p in self._spam.labels]
        self._links = _LinkChecker(config)
        self._check_links = any(severity[c] != "off" for c in _LINK_CODES)
        self._check_spam = severity["spam.score"] != "off"
        self._threshold = config.spam_threshold

    def check(self, doc: QAInput) -> QAResult:
        """Check one document; never raises on odd content.

        ``subject.missing`` applies to email-like documents only (parts with a subject,
        preheader, html or text), so an SMS-only document needs no subject. Link checks cover
        ``href``/``src`` in the HTML (``src`` URLs are exempt from the UTM rule) and http(s)
        URLs in text, markdown (plus markdown link targets) and SMS. Issues of one link code
        are grouped into one issue listing up to five examples.
        """
        issues: list[QAIssue] = []
        add = self._add(issues)
        parts = doc.parts
        config = self.config

        unresolved = list(dict.fromkeys(doc.unresolved))
        if unresolved:
            add("variable.unresolved", f"Unresolved variables: {', '.join(unresolved)}")
        empty = list(dict.fromkeys(doc.empty))
        if empty:
            add("variable.empty", f"Variables rendered empty: {', '.join(empty)}")
        if doc.consent != "granted":
            add("consent.missing", f"Contact consent is {doc.consent!r}, not 'granted'")

        subject = parts.get("subject")
        is_email = any(k in parts for k in ("subject", "preheader", "html", "text"))
        if is_email and (subject is None or not subject.strip()):
            add("subject.missing", "Subject is missing or empty")
        if subject is not None and len(subject) > config.subject_max_chars:
            add(
                "subject.too_long",
                f"Subject is {len(subject)} characters (max {config.subject_max_chars})",
            )
        preheader = parts.get("preheader")
        if preheader is not None and len(preheader) > config.preheader_max_chars:
            add(
                "preheader.too_long",
                f"Preheader is {len(preheader)} characters (max {config.preheader_max_chars})",
            )
        sms = parts.get("sms")
        if sms is not None:
            info = sms_info(sms)
            if info.segments > config.sms_max_segments:
                add(
                    "sms.too_many_segments",
                    f"SMS needs {info.segments} segments ({info.units} {info.encoding} units; "
                    f"max {config.sms_max_segments})",
                )

        # Phrases: one scan per part, shared by banned, required and spam matching.
        html = parts.get("html")
        body_name, body = "text", parts.get("text")
        if body is None:
            body_name, body = "markdown", parts.get("markdown")
        if body is None and html is not None:
            body_name, body = "html", _strip_html(html)
        scans: dict[str, _Scan] = {}
        for name, value in (
            ("subject", subject),
            ("preheader", preheader),
            (body_name, body),
            ("sms", sms),
        ):
            if value:
                scans[name] = _scan(value)
        if len(self._banned) and self._severity["phrase.banned"] != "off":
            hits: dict[int, list[str]] = {}
            for name, scan in scans.items():
                for index in self._banned.find(scan):
                    hits.setdefault(index, []).append(name)
            for index in sorted(hits):
                add(
                    "phrase.banned",
                    f"Banned phrase {self._banned.labels[index]!r} in {', '.join(hits[index])}",
                )
        if len(self._required) and self._severity["phrase.required_missing"] != "off":
            present: set[int] = set()
            for scan in scans.values():
                present |= self._required.find(scan)
            for index, label in enumerate(self._required.labels):
                if index not in present:
                    add("phrase.required_missing", f"Required phrase {label!r} not found")

        hosts: list[str] = []
        lowered = _lower(html) if html is not None else ""
        if self._check_links:
            hosts = self._links_issues(parts, html, lowered, add)
        if html is not None and self._severity["image.missing_alt"] != "off":
            self._image_issues(html, lowered, add)

        spam_score = 0.0
        if self._check_spam:
            body_scan = scans.get(body_name) if body else scans.get("sms") if sms else None
            spam_score = self._spam_score(scans, subject, body_scan, hosts)
            if spam_score >= self._threshold / 2:
                level = "fail" if spam_score >= self._threshold else "warn"
                severity = self._spam_override or level
                if severity != "off":
                    issues.append(
                        QAIssue(
                            "spam.score",
                            severity,
                            f"Spam score {spam_score:g} (threshold {self._threshold:g})",
                        )
                    )

        if any(issue.severity == "fail" for issue in issues):
            status = "fail"
        elif issues:
            status = "warn"
        else:
            status = "pass"
        return QAResult(status, tuple(issues), spam_score)

    # -- helpers --

    def _add(self, issues: list[QAIssue]) -> _Adder:
        severity = self._severity

        def add(code: str, message: str) -> None:
            level = severity[code]
            if level != "off":
                issues.append(QAIssue(code, level, message))

        return add

    def _links_issues(
        self, parts: Mapping[str, str], html: str | None, lowered: str, add: _Adder
    ) -> list[str]:
        links: dict[tuple[str, bool], str] = {}  # (url, navigational) -> where
        if html is not None:
            for url in _attribute_values(html, lowered, _HREF_RE):
                links.setdefault((url, True), "html")
            if "src" in lowered:
                for url in _attribute_values(html, lowered, _SRC_RE):
                    links.setdefault((url, False), "html")
        for name in ("text", "markdown", "sms"):
            value = parts.get(name)
            if not value:
                continue
            for url in _text_urls(value):
                links.setdefault((url, True), name)
            if name == "markdown" and "](" in value:
                for url in _MD_TARGET_RE.findall(value):
                    links.setdefault((url, True), name)
        found: dict[str, list[str]] = {}
        hosts: list[str] = []
        for (url, navigational), where in links.items():
            verdict = self._links.verdict(url, navigational)
            if verdict.host is not None:
                hosts.append(verdict.host)
            for code, detail in verdict.problems:
                found.setdefault(code, []).append(f"{_short(url)!r} in {where} ({detail})")
        for code in _LINK_CODES:
            items = found.get(code)
            if items:
                add(code, f"{_LINK_TITLES[code]}: {_examples(items)}")
        return hosts

    @staticmethod
    def _image_issues(html: str, lowered: str, add: _Adder) -> None:
        source = html if len(lowered) == len(html) else lowered
        missing: list[str] = []
        pos = lowered.find("<img")
        while pos >= 0:
            end = lowered.find(">", pos)
            end = len(lowered) if end < 0 else end
            tag = lowered[pos:end]
            after = lowered[pos + 4 : pos + 5]
            if not (after and _is_word_char(after)) and _ALT_RE.search(tag) is None:
                src = _SRC_RE.search(tag)
                where = source[pos + src.start(1) : pos + src.end(1)] if src else "(no src)"
                missing.append(_short(where.strip("'\"")))
            pos = lowered.find("<img", end)
        if missing:
            add(
                "image.missing_alt",
                f"{len(missing)} image(s) without alt attribute: {_examples(missing)}",
            )

    def _spam_score(
        self,
        scans: Mapping[str, _Scan],
        subject: str | None,
        body: _Scan | None,
        hosts: Sequence[str],
    ) -> float:
        """``body`` is the scan of the body (the text, markdown or stripped HTML), else the SMS."""
        score = 0.0
        weights = self._spam_weights
        subject_hits: set[int] = set()
        if "subject" in scans:
            subject_hits = self._spam.find(scans["subject"])
        body_hits: set[int] = set()
        for name, scan in scans.items():
            if name not in ("subject", "preheader"):
                body_hits |= self._spam.find(scan)
        if "preheader" in scans:
            body_hits |= self._spam.find(scans["preheader"])
        for index in subject_hits:
            score += weights[index] * 1.5
        for index in body_hits - subject_hits:
            score += weights[index]

        if subject:
            subject_scan = scans["subject"]  # ASCII letters and capitals counted there
            if subject_scan.letters >= 4 and subject_scan.upper == subject_scan.letters:
                score += 1.5  # ALL-CAPS subject
            elif any(len(w) >= 4 and w.isupper() and w.isalpha() for w in subject.split()):
                score += 0.5  # a shouted word
            if "!!" in subject:
                score += 1.0
            if subject.lstrip().lower().startswith(("re:", "fw:", "fwd:")):
                score += 0.75  # fake reply/forward
        marks = body.marks if body is not None else 0
        if marks & 1:  # "!!!" in the body
            score += 0.5
        if marks & 2 or (subject is not None and "$$$" in subject):
            score += 1.0
        if body is not None and body.letters >= 50:  # ASCII letters in the body
            ratio = body.upper / body.letters
            if ratio > 0.5:
                score += 1.5
            elif ratio > 0.3:
                score += 0.75
        if any(host in _SHORTENERS for host in hosts):
            score += 1.0  # URL shorteners hide the destination
        return round(score, 2)
