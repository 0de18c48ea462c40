"""Keep secrets and contact PII out of logs and health reports.

Values under secret-looking keys are replaced; free text has URL passwords, bearer tokens,
brandloom API keys and e-mail addresses masked. Masking errs on the side of hiding: a log line
that says less is better than one that leaks a credential or a contact's address.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

MASK = "***"

# Key segments (split on "_", "-", ".") whose values are always secret.
_SECRET_SEGMENTS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "authorization", "cookie", "credentials"}
)
# Whole-key fragments that are secret wherever they appear ("x_api_key", "aws_secret_key").
_SECRET_FRAGMENTS = ("apikey", "api_key", "api-key", "access_key", "secret_key", "private_key")
# Contact PII: e-mail addresses and phone numbers are never logged in clear.
_PII_SEGMENTS = frozenset({"email", "phone", "mobile", "msisdn"})
_SPLIT = re.compile(r"[_\-.]")

# scheme://user:password@host -> scheme://user:***@host (also scheme://:password@host).
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):[^@/\s]+@")
_BEARER = re.compile(r"(?i)\b(?P<scheme>bearer|basic)\s+[A-Za-z0-9._~+/=\-]+")
# Issued workspace keys (bl_...) and the common shapes of provider keys.
_KEY_PREFIXES = r"bl_|sk-|sk_live_|sk_test_|pk_live_|ghp_|xox[abpr]-|AKIA"
_KNOWN_KEY = re.compile(rf"\b(?P<prefix>{_KEY_PREFIXES})[A-Za-z0-9_\-]{{8,}}")
# One scan that finds whether any of the patterns could apply: most log text has none of them,
# and every log line passes through here.
_SUSPECT = re.compile(rf"@|(?i:\bbearer|\bbasic)\s|\b(?:{_KEY_PREFIXES})")
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+@(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
)
# A value under a "key" field that is a long opaque token rather than, say, a contact key.
_OPAQUE_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")
_MAX_DEPTH = 4


def redact_text(text: str) -> str:
    """Mask URL passwords, bearer tokens, API keys and e-mail addresses in free text."""
    if _SUSPECT.search(text) is None:
        return text
    if "@" in text:
        text = _URL_CREDENTIALS.sub(rf"\g<head>:{MASK}@", text)
        text = _EMAIL.sub(rf"{MASK}@\g<domain>", text)
    text = _BEARER.sub(rf"\g<scheme> {MASK}", text)
    return _KNOWN_KEY.sub(rf"\g<prefix>{MASK}", text)


def _mask_pii(value: Any) -> str:
    if isinstance(value, str) and (match := _EMAIL.fullmatch(value.strip())):
        return f"{MASK}@{match['domain']}"
    return MASK


@functools.lru_cache(maxsize=4096)
def _classify(key: str) -> str | None:
    """'secret', 'pii', 'key' (secret only if the value looks like one) or None."""
    lowered = key.lower()
    if any(fragment in lowered for fragment in _SECRET_FRAGMENTS):
        return "secret"
    segments = set(_SPLIT.split(lowered))
    if segments & _SECRET_SEGMENTS:
        return "secret"
    if segments & _PII_SEGMENTS:
        return "pii"
    if "key" in segments:
        return "key"
    return None


def redact_value(key: str, value: Any, depth: int = 0) -> Any:
    """The value as it may be logged under ``key``."""
    kind = _classify(key)
    if kind == "secret":
        return MASK if value not in (None, "") else value
    if kind == "pii":
        return _mask_pii(value) if value not in (None, "") else value
    if (
        kind == "key"
        and isinstance(value, str)
        and (_KNOWN_KEY.search(value) or _OPAQUE_TOKEN.fullmatch(value))
    ):
        return MASK
    return _redact_any(value, depth)


def _redact_any(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {k: redact_value(str(k), v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_any(v, depth + 1) for v in value]
    return value


def redact_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: redact every field of the event in place."""
    for key, value in event_dict.items():
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the stdlib record, flags)
        event_dict[key] = redact_value(key, value)
    return event_dict
