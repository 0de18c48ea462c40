"""Newest-first keyset pages over any table with ``created_at`` and ``id`` columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_

from brandloom.kit.pagination import decode_keyset, encode_keyset

T = TypeVar("T")

MAX_LIMIT = 1000


def newest_first(stmt: Select[Any], model: Any, *, cursor: str | None, limit: int) -> Select[Any]:
    """``stmt`` ordered newest first, after ``cursor``, one row more than ``limit`` (to tell
    whether another page follows). Ties on ``created_at`` are broken by ``id``."""
    after = decode_keyset(cursor)
    if after is not None:
        created, item_id = after
        stmt = stmt.where(
            or_(
                model.created_at < created,
                and_(model.created_at == created, model.id < item_id),
            )
        )
    return stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def page_of(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """The page's items and the cursor of the next page (None on the last page)."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        last: Any = items[-1]
        return items, encode_keyset(last.created_at, last.id)
    return items, None
