"""Audience import: stream a file, validate every row, store contacts and rejects in batches."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from brandloom.audiences.models import Audience, AudienceReject, Contact
from brandloom.audiences.reader import ContactRow, ImportOptions, open_audience
from brandloom.audiences.repository import CONTACT_COLUMNS, REJECT_COLUMNS, AudienceRepository
from brandloom.db.bulk import BackgroundWriter
from brandloom.errors import NotFoundError
from brandloom.kit.hashing import file_sha256, sha256_hex
from brandloom.kit.ids import new_id
from brandloom.workspaces.models import Workspace

BATCH = 5000


def options_digest(options: ImportOptions) -> str:
    payload = {
        "key": options.key,
        "columns": dict(sorted(options.columns.items())),
        "required": list(options.required),
        "format": options.format,
        "delimiter": options.delimiter,
        "encoding": options.encoding,
        "sheet": options.sheet,
        "max_field_chars": options.max_field_chars,
    }
    return sha256_hex(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))


def import_audience(
    session: Session,
    workspace: Workspace,
    *,
    path: Path,
    options: ImportOptions,
    name: str | None = None,
    reuse: bool = True,
) -> tuple[Audience, bool]:
    """Import ``path`` into the workspace; returns (audience, reused).

    The same file content imported with the same options is reused instead of imported again.
    Raises ``AudienceError`` before anything is stored when the file cannot be read at all.
    """
    repo = AudienceRepository(session, workspace)
    reader = open_audience(path, options)  # fails fast: unreadable file, no header, bad mapping
    source_sha = file_sha256(path)
    opts_sha = options_digest(options)
    if reuse and (existing := repo.find_import(source_sha256=source_sha, options_sha256=opts_sha)):
        return existing, True

    audience = repo.add(
        Audience(
            id=new_id("aud"),
            name=name or path.name,
            source_sha256=source_sha,
            options_sha256=opts_sha,
            source_mtime=datetime.fromtimestamp(int(path.stat().st_mtime), UTC),
            format=reader.format,
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            headers=list(reader.headers),
            mapping=dict(reader.mapping),
            variables=list(reader.variables),
        )
    )
    session.flush()
    ws_id, aud_id = workspace.id, audience.id
    contacts: list[tuple[Any, ...]] = []
    rejects: list[tuple[Any, ...]] = []
    dumps = orjson.dumps
    accepted = rejected = rows_read = 0
    by_code: Counter[str] = Counter()
    contact_table, reject_table = Contact.__table__, AudienceReject.__table__
    with BackgroundWriter(session) as writer:
        for item in reader:
            rows_read += 1
            if isinstance(item, ContactRow):
                accepted += 1
                contacts.append(
                    (
                        ws_id,
                        aud_id,
                        item.key,
                        item.row,
                        item.email,
                        item.locale,
                        item.consent,
                        item.consent_source,
                        item.consent_at,
                        dumps(item.attributes).decode("utf-8"),
                    )
                )
                if len(contacts) >= BATCH:
                    writer.put(contact_table, CONTACT_COLUMNS, contacts)  # type: ignore[arg-type]
                    contacts = []
            else:
                rejected += 1
                by_code[item.code] += 1
                rejects.append(
                    (
                        ws_id,
                        aud_id,
                        item.row,
                        item.code,
                        item.reason,
                        dumps(item.raw).decode("utf-8"),
                    )
                )
                if len(rejects) >= BATCH:
                    writer.put(reject_table, REJECT_COLUMNS, rejects)  # type: ignore[arg-type]
                    rejects = []
        writer.put(contact_table, CONTACT_COLUMNS, contacts)  # type: ignore[arg-type]
        writer.put(reject_table, REJECT_COLUMNS, rejects)  # type: ignore[arg-type]
    audience.rows_read = rows_read
    audience.accepted = accepted
    audience.rejected = rejected
    audience.rejected_by_code = dict(by_code)
    session.flush()
    return audience, False


def get_audience(session: Session, workspace: Workspace, *, audience_id: str) -> Audience:
    audience = AudienceRepository(session, workspace).get(audience_id)
    if audience is None:
        raise NotFoundError(f"audience '{audience_id}' not found", code="audience.not_found")
    return audience
