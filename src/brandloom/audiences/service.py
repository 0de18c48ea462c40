"""Audience import: stream a file, validate every row, store contacts and rejects in batches."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from brandloom.audiences.mapping import plan_columns
from brandloom.audiences.models import Audience, AudienceReject, AudienceState, Contact
from brandloom.audiences.reader import AudienceReader, ContactRow, ImportOptions, open_audience
from brandloom.audiences.repository import CONTACT_COLUMNS, REJECT_COLUMNS, AudienceRepository
from brandloom.audiences.types import stored_default
from brandloom.audiences.validation import RejectedRow, build_validator
from brandloom.db.bulk import BackgroundWriter
from brandloom.errors import NotFoundError, ValidationFailed
from brandloom.jobs import service as job_service
from brandloom.kit.hashing import file_sha256, sha256_hex
from brandloom.kit.ids import new_id
from brandloom.workspaces.models import Workspace

BATCH = 5000
IMPORT_KIND = "audiences.import"


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
    if options.types or options.locale or options.date_format or options.datetime_format:
        # Only when given, so audiences imported before types existed keep their digest.
        payload.update(
            types=dict(sorted(options.types.items())),
            locale=options.locale,
            date_format=options.date_format,
            datetime_format=options.datetime_format,
        )
    return sha256_hex(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))


def options_to_json(options: ImportOptions) -> dict[str, Any]:
    """The options as JSON (an import job's params)."""
    data = dataclasses.asdict(options)
    data["columns"] = dict(options.columns)
    data["required"] = list(options.required)
    data["types"] = dict(options.types)
    return data


def options_from_json(data: dict[str, Any]) -> ImportOptions:
    return ImportOptions(
        **{
            **data,
            "columns": dict(data.get("columns") or {}),
            "required": tuple(data.get("required") or ()),
            "types": dict(data.get("types") or {}),
        }
    )


def import_audience(
    session: Session,
    workspace: Workspace,
    *,
    path: Path,
    options: ImportOptions,
    name: str | None = None,
    reuse: bool = True,
) -> tuple[Audience, bool]:
    """Import ``path`` into the workspace now; returns (audience, reused).

    The same file content imported with the same options is reused instead of imported again.
    Raises ``AudienceError`` before anything is stored when the file cannot be read at all.
    """
    repo = AudienceRepository(session, workspace)
    reader = open_audience(path, options)  # fails fast: unreadable file, no header, bad mapping
    source_sha = file_sha256(path)
    opts_sha = options_digest(options)
    existing = repo.find_import(source_sha256=source_sha, options_sha256=opts_sha)
    if reuse and existing is not None and existing.state == AudienceState.READY:
        return existing, True
    # An import of the same file that failed (or is asked for again) fills the same audience.
    audience = existing or repo.add(
        Audience(id=new_id("aud"), source_sha256=source_sha, options_sha256=opts_sha)
    )
    audience.name = name or path.name
    audience.state = AudienceState.IMPORTING
    audience.source_mtime = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    session.flush()
    fill_audience(session, audience, reader)
    return audience, False


def fill_audience(session: Session, audience: Audience, reader: AudienceReader) -> None:
    """Stream every row of ``reader`` into ``audience`` (contacts and rejects) and mark it ready.

    Rows an earlier, interrupted attempt left behind are deleted first, so running it again
    imports the file exactly once.
    """
    repo = AudienceRepository(session, audience.workspace_id)
    repo.delete_rows(audience.id)
    audience.format = reader.format
    audience.encoding = reader.encoding
    audience.delimiter = reader.delimiter
    audience.headers = list(reader.headers)
    audience.mapping = dict(reader.mapping)
    audience.variables = list(reader.variables)
    audience.types = dict(reader.types) or None
    session.flush()
    ws_id, aud_id = audience.workspace_id, audience.id
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
                        dumps(item.attributes, default=stored_default).decode("utf-8"),
                        item.email_row,
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
    audience.state = AudienceState.READY
    audience.error = None
    session.flush()


def begin_import(
    session: Session,
    workspace: Workspace,
    *,
    source: str,
    source_sha256: str,
    source_mtime: datetime,
    options: ImportOptions,
    name: str,
) -> tuple[Audience, bool]:
    """Record an audience to be imported from ``source`` by an ``audiences.import`` job.

    Returns (audience, reused): an audience imported from the same content with the same
    options is reused (a running import of it too). The job starts once this commits.
    """
    repo = AudienceRepository(session, workspace)
    opts_sha = options_digest(options)
    existing = repo.find_import(source_sha256=source_sha256, options_sha256=opts_sha)
    if existing is not None and existing.state != AudienceState.FAILED:
        return existing, True
    audience = existing or repo.add(
        Audience(
            id=new_id("aud"),
            source_sha256=source_sha256,
            options_sha256=opts_sha,
        )
    )
    audience.name = name
    audience.state = AudienceState.IMPORTING
    audience.error = None
    audience.source_mtime = source_mtime
    session.flush()
    job = job_service.create_job(
        session,
        workspace,
        kind=IMPORT_KIND,
        name=f"import {name}",
        params={"source": source, "options": options_to_json(options)},
        audience_id=audience.id,
    )
    audience.job_id = job.id
    session.flush()
    return audience, False


def get_audience(session: Session, workspace: Workspace, *, audience_id: str) -> Audience:
    audience = AudienceRepository(session, workspace).get(audience_id)
    if audience is None:
        raise NotFoundError(f"audience '{audience_id}' not found", code="audience.not_found")
    return audience


def audience_locales(
    session: Session, workspace: Workspace, *, audience_id: str
) -> list[str | None]:
    """The distinct locales of an audience's contacts (``None``: contacts without one)."""
    return AudienceRepository(session, workspace).locales(audience_id)


def list_audiences(
    session: Session,
    workspace: Workspace,
    *,
    cursor: str | None = None,
    limit: int = 100,
    state: str | None = None,
    name: str | None = None,
) -> tuple[list[Audience], str | None]:
    """The workspace's audiences, newest first, and the cursor of the next page."""
    return AudienceRepository(session, workspace).page(
        cursor=cursor, limit=limit, state=state, name=name
    )


def contact_from_fields(
    fields: Mapping[str, str | int | float | bool | None], *, key: str | None = None
) -> tuple[ContactRow, list[str]]:
    """One contact given as field -> value, checked exactly as an imported row would be.

    Field names map to contact fields (email, locale, consent, ...) as a file's headers do.
    Returns the contact and the template variables it provides; a row an import would reject
    raises ``ValidationFailed`` with the import's code and reason.
    """
    headers = list(fields)
    values = [_field_text(v) for v in fields.values()]
    plan = plan_columns(headers, key=key, columns={}, required=())
    result = build_validator(plan)(1, values)
    if isinstance(result, RejectedRow):
        raise ValidationFailed(f"contact: {result.reason}", code=result.code)
    return result, plan.variables


def _field_text(value: str | int | float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
