"""Slotted output: a part whose expression output is kept apart from its template text.

A part rendered with slots (the ``typst`` part) gives its template text as rendered, with every
expression output (``{{ name }}``) wrapped in two Unicode noncharacters: ``OPEN value CLOSE``.
The consumer (the PDF layout renderer) splits the two apart with :func:`split_slots`: the
template text with one :data:`OPEN` per output is the document's *skeleton*, the same for every
contact that takes the same path through the template's ``{% if %}`` and ``{% for %}`` tags, and
the values become data, never part of the skeleton.

Why this holds: template text is only written by the template (a part whose text holds
:data:`OPEN` or :data:`CLOSE` is refused when it is compiled), every output is wrapped whole
by the engine, and both characters are removed from output values (a value printed twice, say a
captured ``{% set %}`` block, is wrapped once). Jinja's ``{% filter %}`` blocks, which rewrite
rendered text after the fact, are refused in slotted parts, as are Liquid tags that write values
past the output tags (``cycle``, ``tablerow``).
"""

from __future__ import annotations

import re

from brandloom.templates.errors import TemplateSyntaxError

__all__ = [
    "CLOSE",
    "OPEN",
    "SlotError",
    "check_slot_marks",
    "slot",
    "split_slots",
    "strip_slots",
]

#: Starts one output value (U+FDD0, a noncharacter: never text anyone means to print).
OPEN = "\ufdd0"
#: Ends one output value (U+FDD1).
CLOSE = "\ufdd1"

_MARKS = str.maketrans("", "", OPEN + CLOSE)
_SLOT = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")


class SlotError(ValueError):
    """Slotted text whose marks do not pair up (only a bug can produce it)."""


def slot(value: str) -> str:
    """One output value, wrapped (the marks are removed from the value itself)."""
    if OPEN in value or CLOSE in value:
        value = value.translate(_MARKS)
    return f"{OPEN}{value}{CLOSE}"


def strip_slots(text: str) -> str:
    """The text as it reads, values in place (for people: previews, messages)."""
    return text.translate(_MARKS)


def split_slots(text: str) -> tuple[str, list[str]]:
    """``(skeleton, values)``: the template text with one :data:`OPEN` per value, and the values
    in order. Raises :class:`SlotError` when a mark has no partner, so a broken structure can
    never be taken for template text."""
    values = _SLOT.findall(text)
    skeleton = _SLOT.sub(OPEN, text) if values else text
    if CLOSE in skeleton or skeleton.count(OPEN) != len(values):
        raise SlotError("slotted text with unpaired marks")
    return skeleton, values


def check_slot_marks(source: str, part: str, origin: str | None) -> None:
    """Refuse a slotted part whose own text holds a mark (raises ``TemplateSyntaxError``)."""
    found = [i for i in (source.find(OPEN), source.find(CLOSE)) if i >= 0]
    if not found:
        return
    at = min(found)
    line = source.count("\n", 0, at) + 1
    raise TemplateSyntaxError(
        "the characters U+FDD0 and U+FDD1 are reserved (they mark values in this part)",
        part=part,
        line=line,
        column=at - (source.rfind("\n", 0, at) + 1) + 1,
        origin=origin,
    )
