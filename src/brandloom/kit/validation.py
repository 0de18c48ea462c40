"""Pydantic validation errors as messages a person can act on.

Pydantic's own messages are written for programmers: ``Extra inputs are not permitted`` does not
say which key is unknown or what was meant, and ``Input should be a valid dictionary or instance
of AudienceSpec`` names a Python class the user never wrote. Here each error becomes
``dotted.location: message``; an unknown key says so and suggests the closest known field of the
model at that place (its names and aliases), and no message names a class.

The model is walked along each error's location to find the fields known there. A model that
validates through another model (one composed at run time) names it with a classmethod
``validation_model()``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["closest", "describe_errors", "field_names", "validation_messages"]

# Pydantic names the union member it tried in the location (``seed.int``, ``messages.de.str``,
# ``x.function-after[...]``): such parts say nothing to a person.
_SCALAR_TAGS = {"str", "int", "float", "bool", "bytes", "none", "decimal", "date", "datetime"}
_CLASS_MENTION = re.compile(r"\s*(?:or )?(?:an )?instance of [A-Za-z_][\w.]*")
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known name closest to a mistyped one, if any is close enough."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not found:
        # a case slip (``Outputs``) is the commonest typo and difflib weighs it like any other
        lowered = {c.lower(): c for c in choices}
        found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[found[0]] if found else None
    return found[0]


def field_names(model: type[BaseModel]) -> list[str]:
    """A model's fields as a spec spells them: the alias where there is one, else the name."""
    model = _validating(model)
    return [info.alias or name for name, info in model.model_fields.items()]


def validation_messages(exc: ValidationError, *, model: type[BaseModel] | None = None) -> list[str]:
    """One ``location: message`` line per error of ``exc`` (``model``: the validated class)."""
    return describe_errors(exc.errors(), model=model)


def describe_errors(
    errors: Iterable[Any],
    *,
    model: type[BaseModel] | None,
    skip: Sequence[str] = (),
) -> list[str]:
    """Lines for pydantic error dicts (``ValidationError.errors()`` or FastAPI's list).

    ``skip``: leading location parts that are not fields (FastAPI's ``body``).
    """
    by_place: dict[str, list[str]] = {}
    for err in errors:
        loc = list(err.get("loc", ()))
        while loc and str(loc[0]) in skip:
            loc.pop(0)
        path, owner = _walk(model, loc)
        messages = by_place.setdefault(".".join(path), [])
        message = _message(err, path, owner)
        if message not in messages:
            messages.append(message)
    # A value that fits no member of a union gets one error per member: one line says them all.
    return [
        f"{where}: {' or '.join(messages)}" if where else " or ".join(messages)
        for where, messages in by_place.items()
    ]


def _message(err: Any, path: list[str], owner: type[BaseModel] | None) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden" and path:
        unknown = path[-1]
        known = field_names(owner) if owner is not None else []
        text = f"unknown field `{unknown}`"
        if known:
            guess = closest(unknown, known)
            if guess:
                return f"{text}; did you mean `{guess}`?"
            return f"{text} (known fields: {', '.join(known)})"
        return text
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        return f"expected a mapping of fields, got {_kind_of(err.get('input'))}"
    if kind == "dict_type":
        return f"expected a mapping, got {_kind_of(err.get('input'))}"
    msg = str(err.get("msg", "invalid value"))
    for lead in _PYDANTIC_PREFIXES:
        if msg.startswith(lead):
            msg = msg[len(lead) :]
    return _CLASS_MENTION.sub("", msg)


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    return "a value"


def _walk(
    model: type[BaseModel] | None, loc: list[Any]
) -> tuple[list[str], type[BaseModel] | None]:
    """The location as the user wrote it (tags dropped) and the model owning its last part."""
    path: list[str] = []
    current: Any = model
    owner: type[BaseModel] | None = model
    for part in loc:
        text = str(part)
        members = _members(current)
        if _is_tag(text, members):
            current = next((m for m in members if _name_of(m) == text), current)
            continue
        owner = next((m for m in members if _is_model(m)), None)
        path.append(text)
        current = _step(members, part)
    return path, owner


def _step(members: list[Any], part: Any) -> Any:
    """The type at ``part`` inside any of ``members`` (None when unknown)."""
    for member in members:
        if _is_model(member):
            fields = _validating(member).model_fields
            for name, info in fields.items():
                if part in (name, info.alias):
                    return info.annotation
            continue
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
            return args[0]
        if origin is dict and len(args) == 2:
            return args[1]
    return None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a type: ``A | B | None`` -> [A, B]; ``Annotated[A, ...]`` -> [A]."""
    if annotation is None:
        return []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                found.extend(_members(arg))
        return found
    return [annotation]


def _is_tag(text: str, members: list[Any]) -> bool:
    fields_here = [m for m in members if _is_model(m)]
    if len(members) < 2 or _step(fields_here, text) is not None:
        return False
    return "[" in text or text in _SCALAR_TAGS or any(_name_of(m) == text for m in members)


def _name_of(member: Any) -> str:
    return getattr(member, "__name__", "")


def _is_model(member: Any) -> bool:
    return isinstance(member, type) and issubclass(member, BaseModel)


def _validating(model: type[BaseModel]) -> type[BaseModel]:
    composed = getattr(model, "validation_model", None)
    if callable(composed):
        found = composed()
        if _is_model(found):
            return typing.cast(type[BaseModel], found)
    return model
