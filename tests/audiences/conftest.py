"""Helpers for the audience reader tests: write real files, read them fully, check the counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from brandloom.audiences.reader import (
    AudienceReader,
    ContactRow,
    ImportOptions,
    RejectedRow,
    open_audience,
)


@dataclass
class Loaded:
    reader: AudienceReader
    items: list[ContactRow | RejectedRow]

    @property
    def accepted(self) -> list[ContactRow]:
        return [i for i in self.items if isinstance(i, ContactRow)]

    @property
    def rejected(self) -> list[RejectedRow]:
        return [i for i in self.items if isinstance(i, RejectedRow)]

    def by_row(self, row: int) -> ContactRow | RejectedRow:
        return self.items[row - 1]

    def codes(self) -> dict[int, str]:
        return {r.row: r.code for r in self.rejected}

    def keys(self) -> list[str]:
        return [c.key for c in self.accepted]


Load = Callable[..., Loaded]


@pytest.fixture
def load(tmp_path: Path) -> Load:
    """``load(name, content, rows=N, **options)``: write ``content`` (str -> UTF-8, or bytes) to
    ``tmp_path/name``, read every row and assert that exactly ``rows`` data rows came out, each
    once, numbered 1..N in file order (accepted + rejected == data rows)."""

    def _load(name: str, content: str | bytes, *, rows: int, **options: Any) -> Loaded:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        reader = open_audience(path, ImportOptions(**options))
        items = list(reader)
        assert [i.row for i in items] == list(range(1, rows + 1))
        loaded = Loaded(reader, items)
        assert len(loaded.accepted) + len(loaded.rejected) == rows
        return loaded

    return _load
