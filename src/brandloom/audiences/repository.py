"""SQL for audiences and contacts; every query is scoped to one workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from brandloom.audiences.models import Audience, AudienceReject, Contact
from brandloom.db.bulk import bulk_insert
from brandloom.db.paging import newest_first, page_of
from brandloom.workspaces.models import Workspace

CONTACT_COLUMNS = (
    "workspace_id",
    "audience_id",
    "key",
    "row",
    "email",
    "locale",
    "consent",
    "consent_source",
    "consent_at",
    "attributes",
    "email_row",
)
REJECT_COLUMNS = ("workspace_id", "audience_id", "row", "code", "reason", "raw")


# What rendering needs of a contact, in ``ContactData`` order.
_RENDER_COLUMNS = (
    Contact.row,
    Contact.key,
    Contact.email,
    Contact.locale,
    Contact.consent,
    Contact.attributes,
    Contact.email_row,
)


class AudienceRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def get(self, audience_id: str) -> Audience | None:
        return self.session.scalar(
            select(Audience).where(
                Audience.id == audience_id, Audience.workspace_id == self.workspace_id
            )
        )

    def find_import(self, *, source_sha256: str, options_sha256: str) -> Audience | None:
        return self.session.scalar(
            select(Audience).where(
                Audience.workspace_id == self.workspace_id,
                Audience.source_sha256 == source_sha256,
                Audience.options_sha256 == options_sha256,
            )
        )

    def add(self, audience: Audience) -> Audience:
        audience.workspace_id = self.workspace_id
        self.session.add(audience)
        return audience

    def page(
        self,
        *,
        cursor: str | None,
        limit: int,
        state: str | None = None,
        name: str | None = None,
    ) -> tuple[list[Audience], str | None]:
        """Newest first, optionally one ``state`` and an exact ``name``; the next cursor."""
        stmt = select(Audience).where(Audience.workspace_id == self.workspace_id)
        if state is not None:
            stmt = stmt.where(Audience.state == state)
        if name is not None:
            stmt = stmt.where(Audience.name == name)
        rows = self.session.scalars(newest_first(stmt, Audience, cursor=cursor, limit=limit))
        return page_of(rows.all(), limit)

    def delete_rows(self, audience_id: str) -> None:
        for model in (Contact, AudienceReject):
            self.session.execute(
                delete(model).where(
                    model.audience_id == audience_id, model.workspace_id == self.workspace_id
                )
            )

    def insert_contacts(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows ordered as ``CONTACT_COLUMNS`` (attributes already JSON text), one batch."""
        bulk_insert(self.session, Contact.__table__, CONTACT_COLUMNS, rows)  # type: ignore[arg-type]

    def insert_rejects(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows ordered as ``REJECT_COLUMNS`` (raw already JSON text), one batch."""
        bulk_insert(self.session, AudienceReject.__table__, REJECT_COLUMNS, rows)  # type: ignore[arg-type]

    def keys(self, audience_id: str, *, batch: int = 10_000) -> Iterator[str]:
        """All contact keys of an audience in key order, streamed."""
        stmt = (
            select(Contact.key)
            .where(Contact.audience_id == audience_id, Contact.workspace_id == self.workspace_id)
            .order_by(Contact.key)
            .execution_options(yield_per=batch)
        )
        for (key,) in self.session.execute(stmt):
            yield key

    def locales(self, audience_id: str, *, limit: int = 1000) -> list[str | None]:
        """The audience's distinct contact locales (``None`` for contacts without one), at
        most ``limit`` of them."""
        stmt = (
            select(Contact.locale)
            .where(Contact.audience_id == audience_id, Contact.workspace_id == self.workspace_id)
            .distinct()
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def contacts_between(
        self, audience_id: str, *, after_key: str | None, last_key: str
    ) -> list[tuple[int, str, str | None, str | None, str, Any, int | None]]:
        """Contacts with ``after_key < key <= last_key`` in key order (one keyset page)."""
        stmt = select(*_RENDER_COLUMNS).where(
            Contact.audience_id == audience_id,
            Contact.workspace_id == self.workspace_id,
            Contact.key <= last_key,
        )
        if after_key is not None:
            stmt = stmt.where(Contact.key > after_key)
        rows = self.session.execute(stmt.order_by(Contact.key)).all()
        return [tuple(r) for r in rows]

    def contact(
        self, audience_id: str, key: str
    ) -> tuple[int, str, str | None, str | None, str, Any, int | None] | None:
        """One contact by key: (row, key, email, locale, consent, attributes, email_row), or
        None."""
        row = self.session.execute(
            select(*_RENDER_COLUMNS).where(
                Contact.audience_id == audience_id,
                Contact.workspace_id == self.workspace_id,
                Contact.key == key,
            )
        ).first()
        return tuple(row) if row is not None else None

    def rejects(
        self, audience_id: str, *, after_row: int = 0, limit: int | None = None
    ) -> list[AudienceReject]:
        stmt = (
            select(AudienceReject)
            .where(
                AudienceReject.audience_id == audience_id,
                AudienceReject.workspace_id == self.workspace_id,
                AudienceReject.row > after_row,
            )
            .order_by(AudienceReject.row)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.session.scalars(stmt))

    def iter_rejects(
        self, audience_id: str, *, batch: int = 5000
    ) -> Iterator[tuple[int, str, list[str]]]:
        """(row, reason, raw fields) of every rejected row, in row order, keyset-paged."""
        after = 0
        while True:
            stmt = (
                select(AudienceReject.row, AudienceReject.reason, AudienceReject.raw)
                .where(
                    AudienceReject.audience_id == audience_id,
                    AudienceReject.workspace_id == self.workspace_id,
                    AudienceReject.row > after,
                )
                .order_by(AudienceReject.row)
                .limit(batch)
            )
            page = self.session.execute(stmt).all()
            if not page:
                return
            yield from ((row, reason, raw) for row, reason, raw in page)
            after = page[-1][0]
