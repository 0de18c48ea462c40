"""SQL for brands, their guidelines, library texts and voices; every query is scoped to one
workspace."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, undefer

from brandloom.brands.models import Brand, BrandGuidelines, BrandText, BrandVoice
from brandloom.db.paging import newest_first, page_of
from brandloom.workspaces.models import Workspace

# Hashes looked up per statement when imports check for texts already in the library.
_HASH_BATCH = 500


class BrandRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    # -- brands --------------------------------------------------------------------------

    def get(self, brand_id: str, *, with_logo: bool = False) -> Brand | None:
        stmt = select(Brand).where(Brand.id == brand_id, Brand.workspace_id == self.workspace_id)
        if with_logo:
            stmt = stmt.options(undefer(Brand.logo))
        return self.session.scalar(stmt)

    def by_name(self, name: str) -> Brand | None:
        return self.session.scalar(
            select(Brand).where(Brand.name == name, Brand.workspace_id == self.workspace_id)
        )

    def add(self, brand: Brand) -> Brand:
        brand.workspace_id = self.workspace_id
        self.session.add(brand)
        return brand

    def page(
        self, *, cursor: str | None, limit: int, name: str | None = None
    ) -> tuple[list[Brand], str | None]:
        """Newest first; ``name`` matches exactly. Returns the page and the next cursor."""
        stmt = select(Brand).where(Brand.workspace_id == self.workspace_id)
        if name is not None:
            stmt = stmt.where(Brand.name == name)
        rows = self.session.scalars(newest_first(stmt, Brand, cursor=cursor, limit=limit))
        return page_of(rows.all(), limit)

    def lock(self, brand_id: str) -> None:
        """Hold the brand's row until the transaction ends (PostgreSQL; SQLite serializes
        writers anyway): concurrent guidelines changes or imports of one brand take turns, so
        neither a version number nor a text's hash is taken twice."""
        self.session.execute(
            select(Brand.id)
            .where(Brand.id == brand_id, Brand.workspace_id == self.workspace_id)
            .with_for_update()
        )

    def delete(self, brand: Brand) -> None:
        """The brand and everything it holds (explicitly: SQLite enforces cascades only with
        its foreign keys pragma on, and the statements say what goes)."""
        for model in (BrandVoice, BrandText, BrandGuidelines):
            self.session.execute(
                delete(model).where(
                    model.brand_id == brand.id, model.workspace_id == self.workspace_id
                )
            )
        self.session.execute(
            delete(Brand).where(Brand.id == brand.id, Brand.workspace_id == self.workspace_id)
        )
        self.session.expunge(brand)

    # -- guidelines ----------------------------------------------------------------------

    def guidelines(self, brand_id: str, version: int) -> BrandGuidelines | None:
        return self.session.scalar(
            select(BrandGuidelines).where(
                BrandGuidelines.workspace_id == self.workspace_id,
                BrandGuidelines.brand_id == brand_id,
                BrandGuidelines.version == version,
            )
        )

    def add_guidelines(self, row: BrandGuidelines) -> BrandGuidelines:
        row.workspace_id = self.workspace_id
        self.session.add(row)
        return row

    def latest_guidelines_version(self, brand_id: str) -> int:
        """The highest version stored for the brand (0 when none)."""
        found = self.session.scalar(
            select(func.max(BrandGuidelines.version)).where(
                BrandGuidelines.workspace_id == self.workspace_id,
                BrandGuidelines.brand_id == brand_id,
            )
        )
        return int(found or 0)

    def guidelines_versions(
        self, brand_id: str, *, before: int | None, limit: int
    ) -> list[BrandGuidelines]:
        """Versions newest first, below ``before`` (a cursor), ``limit + 1`` of them."""
        stmt = select(BrandGuidelines).where(
            BrandGuidelines.workspace_id == self.workspace_id,
            BrandGuidelines.brand_id == brand_id,
        )
        if before is not None:
            stmt = stmt.where(BrandGuidelines.version < before)
        stmt = stmt.order_by(BrandGuidelines.version.desc()).limit(limit + 1)
        return list(self.session.scalars(stmt))

    # -- library -------------------------------------------------------------------------

    def known_hashes(self, brand_id: str, hashes: Iterable[str]) -> set[str]:
        """Which of ``hashes`` the brand's library already holds."""
        wanted = list(dict.fromkeys(hashes))
        found: set[str] = set()
        for start in range(0, len(wanted), _HASH_BATCH):
            found.update(
                self.session.scalars(
                    select(BrandText.sha256).where(
                        BrandText.workspace_id == self.workspace_id,
                        BrandText.brand_id == brand_id,
                        BrandText.sha256.in_(wanted[start : start + _HASH_BATCH]),
                    )
                )
            )
        return found

    def insert_texts(self, rows: Sequence[dict[str, Any]]) -> None:
        """Library texts as column -> value mappings (ids, hashes and times filled in), one
        batch; the workspace is set here."""
        if rows:
            self.session.execute(
                insert(BrandText), [{**row, "workspace_id": self.workspace_id} for row in rows]
            )

    def texts_page(
        self, brand_id: str, *, cursor: str | None, limit: int
    ) -> tuple[list[BrandText], str | None]:
        stmt = select(BrandText).where(
            BrandText.workspace_id == self.workspace_id, BrandText.brand_id == brand_id
        )
        rows = self.session.scalars(newest_first(stmt, BrandText, cursor=cursor, limit=limit))
        return page_of(rows.all(), limit)

    def count_texts(self, brand_id: str) -> int:
        return int(
            self.session.scalar(
                select(func.count()).where(
                    BrandText.workspace_id == self.workspace_id, BrandText.brand_id == brand_id
                )
            )
            or 0
        )

    def newest_texts(self, brand_id: str, *, limit: int) -> list[tuple[str, str | None]]:
        """(text, locale) of the brand's ``limit`` newest library texts, oldest first."""
        stmt = (
            select(BrandText.text, BrandText.locale)
            .where(BrandText.workspace_id == self.workspace_id, BrandText.brand_id == brand_id)
            .order_by(BrandText.created_at.desc(), BrandText.id.desc())
            .limit(limit)
        )
        rows = [(text, locale) for text, locale in self.session.execute(stmt)]
        rows.reverse()
        return rows

    # -- voices --------------------------------------------------------------------------

    def add_voice(self, voice: BrandVoice) -> BrandVoice:
        voice.workspace_id = self.workspace_id
        self.session.add(voice)
        return voice

    def current_voice(self, brand_id: str, *, with_profile: bool = False) -> BrandVoice | None:
        stmt = (
            select(BrandVoice)
            .where(BrandVoice.workspace_id == self.workspace_id, BrandVoice.brand_id == brand_id)
            .order_by(BrandVoice.created_at.desc(), BrandVoice.id.desc())
            .limit(1)
        )
        if with_profile:
            stmt = stmt.options(undefer(BrandVoice.profile))
        return self.session.scalar(stmt)

    def voice(self, voice_id: str, *, with_profile: bool = False) -> BrandVoice | None:
        stmt = select(BrandVoice).where(
            BrandVoice.workspace_id == self.workspace_id, BrandVoice.id == voice_id
        )
        if with_profile:
            stmt = stmt.options(undefer(BrandVoice.profile))
        return self.session.scalar(stmt)

    def current_voices(self) -> list[tuple[Brand, BrandVoice | None]]:
        """Every brand of the workspace with its current voice (None if it has none), brands
        newest first."""
        newest = (
            select(BrandVoice.brand_id, func.max(BrandVoice.created_at).label("created_at"))
            .where(BrandVoice.workspace_id == self.workspace_id)
            .group_by(BrandVoice.brand_id)
            .subquery()
        )
        stmt = (
            select(Brand, BrandVoice)
            .outerjoin(newest, newest.c.brand_id == Brand.id)
            .outerjoin(
                BrandVoice,
                (BrandVoice.brand_id == newest.c.brand_id)
                & (BrandVoice.created_at == newest.c.created_at)
                & (BrandVoice.workspace_id == self.workspace_id),
            )
            .where(Brand.workspace_id == self.workspace_id)
            .order_by(Brand.created_at.desc(), Brand.id.desc())
        )
        seen: dict[str, tuple[Brand, BrandVoice | None]] = {}
        for brand, voice in self.session.execute(stmt):
            seen.setdefault(brand.id, (brand, voice))  # two voices of one instant: one
        return list(seen.values())
