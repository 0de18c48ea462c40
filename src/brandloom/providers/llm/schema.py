"""Structured output: the answer's text -> JSON -> checked against the request's schema.

Every provider ends here, so a schema-breaking answer reads the same whichever model wrote it:
an :class:`InvalidOutput` naming the JSON path of the first errors
(``content.subject: 1 is not of type 'string'``).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

from brandloom.providers.llm.base import InvalidOutput, Usage

# A compatible server (or a model told to answer JSON) may wrap it in a Markdown fence.
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*[ \t]*\r?\n(?P<body>.*?)\r?\n?```\s*$", re.DOTALL)
_MAX_ERRORS = 3
_MAX_VALIDATORS = 256

_validators: OrderedDict[bytes, Any] = OrderedDict()
_lock = threading.Lock()


def strip_fence(text: str) -> str:
    """The JSON inside a ```json ... ``` fence, or the text itself."""
    match = _FENCE.match(text)
    return match.group("body") if match else text


def validator_for(schema: Mapping[str, Any]) -> Any:
    """A compiled Draft 2020-12 validator, kept per distinct schema: a bulk job asks for the
    same schema thousands of times, and compiling it each time would dominate a call."""
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    with _lock:
        found = _validators.get(key)
        if found is not None:
            _validators.move_to_end(key)
            return found
    Draft202012Validator.check_schema(schema)  # a bad schema is our bug, not the model's
    found = Draft202012Validator(schema)
    with _lock:
        _validators[key] = found
        if len(_validators) > _MAX_VALIDATORS:
            _validators.popitem(last=False)
    return found


def json_path(path: Any) -> str:
    """``deque(['content', 'items', 0, 'title'])`` -> ``content.items[0].title``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check(data: Any, schema: Mapping[str, Any], *, usage: Usage | None = None) -> Any:
    """``data`` when it matches the schema; else :class:`InvalidOutput` naming the first errors'
    JSON paths."""
    validator = validator_for(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.message))
    if not errors:
        return data
    described = [_clip(f"{json_path(e.absolute_path)}: {e.message}") for e in errors[:_MAX_ERRORS]]
    more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
    raise InvalidOutput(
        f"output does not match the schema: {'; '.join(described)}{more}",
        usage=usage,
        details={"errors": described},
    )


def parse(text: str, schema: Mapping[str, Any], *, usage: Usage | None = None) -> Any:
    """The answer's text as JSON that matches ``schema``, or :class:`InvalidOutput`."""
    body = strip_fence(text)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise InvalidOutput(
            f"output is not JSON ({err}): {_clip(body, 80)!r}",
            usage=usage,
            details={"errors": [f"not JSON: {err}"]},
        ) from None
    return check(data, schema, usage=usage)
