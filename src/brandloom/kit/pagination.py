"""Cursor pages: ``{"items": [...], "next_cursor": ...}`` with opaque cursors."""

from __future__ import annotations

import base64
from typing import Generic, TypeVar

from pydantic import BaseModel

from brandloom.errors import ValidationFailed

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(str(value).encode("utf-8")).decode("ascii").rstrip("=")


def decode_int_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("invalid cursor", code="request.invalid_cursor") from None
