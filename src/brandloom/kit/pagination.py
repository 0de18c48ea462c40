"""Cursor pages: ``{"items": [...], "next_cursor": ...}`` with opaque cursors."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from brandloom.errors import ValidationFailed

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(str(value).encode("utf-8")).decode("ascii").rstrip("=")


def encode_keyset(created_at: datetime, item_id: str) -> str:
    """A cursor for newest-first lists: the last item's creation time and id."""
    return encode_cursor(f"{created_at.isoformat()}|{item_id}")


def decode_keyset(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, item_id = (
            base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition("|")
        )
        value = datetime.fromisoformat(created)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("invalid cursor", code="request.invalid_cursor") from None
    if not item_id or value.tzinfo is None:
        raise ValidationFailed("invalid cursor", code="request.invalid_cursor")
    return value, item_id


def page_by_position(rows: Sequence[T], limit: int, position: Callable[[T], int]) -> Page[T]:
    """A page of ``rows`` (fetched with ``limit + 1``) whose cursor is the last item's position
    (a row number: lists in file order)."""
    items = list(rows[:limit])
    more = len(rows) > limit and items
    return Page[T](items=items, next_cursor=encode_cursor(position(items[-1])) if more else None)


def decode_int_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("invalid cursor", code="request.invalid_cursor") from None
