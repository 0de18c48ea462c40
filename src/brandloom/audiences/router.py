"""HTTP endpoints for audiences: upload (streamed to storage, imported by a job), read, rejects."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from brandloom.audiences.kind import delete_source, local_copy
from brandloom.audiences.models import Audience, AudienceState
from brandloom.audiences.reader import ImportOptions
from brandloom.audiences.repository import AudienceRepository
from brandloom.audiences.schemas import AudienceImportRead, AudienceRead, RejectRead
from brandloom.audiences.service import (
    begin_import,
    get_audience,
    import_audience,
)
from brandloom.audiences.service import (
    list_audiences as list_workspace_audiences,
)
from brandloom.audiences.types import type_parser
from brandloom.audiences.uploads import Upload, stream_upload
from brandloom.auth import AuthContext
from brandloom.db.engine import after_commit, unit_of_work
from brandloom.errors import ValidationFailed
from brandloom.kit.pagination import Page, decode_int_cursor, page_by_position
from brandloom.web.deps import ListQueryDep, SessionDep, StateDep, require_scopes
from brandloom.web.state import AppState
from brandloom.workspaces.models import Workspace

router = APIRouter(prefix="/v1/audiences", tags=["audiences"])

AudiencesRead = Annotated[AuthContext, Depends(require_scopes("audiences:read"))]
AudiencesWrite = Annotated[AuthContext, Depends(require_scopes("audiences:write"))]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _json_object(field: str, text: str | None, shape: str) -> dict[str, str]:
    """A form field holding a JSON object of text -> text (``columns``, ``types``)."""
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValidationFailed(f"{field}: not valid JSON", code="request.invalid") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(f"{field}: must be a JSON object of {shape}", code="request.invalid")
    return value


def _options(
    key: str | None,
    columns: str | None,
    required: str | None,
    format: str | None,
    delimiter: str | None,
    encoding: str | None,
    types: str | None = None,
    locale: str | None = None,
    date_format: str | None = None,
    datetime_format: str | None = None,
) -> ImportOptions:
    options = ImportOptions(
        key=key or None,
        columns=_json_object("columns", columns, "field -> column header"),
        required=tuple(r.strip() for r in (required or "").split(",") if r.strip()),
        format=format or None,
        delimiter=delimiter or None,
        encoding=encoding or None,
        types=_json_object("types", types, "variable name -> type"),
        locale=locale or None,
        date_format=date_format or None,
        datetime_format=datetime_format or None,
    )
    # Types, locale and patterns are checked now (422); names against the file at import.
    type_parser(
        types=options.types,
        locale=options.locale,
        date_format=options.date_format,
        datetime_format=options.datetime_format,
    )
    return options


@router.post(
    "",
    status_code=202,
    response_model=AudienceImportRead,
    responses={
        201: {
            "model": AudienceImportRead,
            "description": "With `wait=true`: the imported audience; its summary counts every row.",
        },
        202: {"description": "The audience, `importing`; poll `GET /v1/audiences/{id}`."},
    },
)
async def upload_audience(
    state: StateDep,
    auth: AudiencesWrite,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSONL or XLSX")],
    name: Annotated[str | None, Form()] = None,
    key: Annotated[str | None, Form()] = None,
    columns: Annotated[str | None, Form(description="JSON: field -> column header")] = None,
    required: Annotated[str | None, Form(description="comma-separated fields")] = None,
    format: Annotated[str | None, Form()] = None,
    delimiter: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    types: Annotated[
        str | None,
        Form(description='JSON: variable -> type, e.g. {"umsatz": "decimal"}; see the README'),
    ] = None,
    locale: Annotated[
        str | None, Form(description="How typed numbers and dates are written, e.g. de-DE")
    ] = None,
    date_format: Annotated[
        str | None, Form(description="Date pattern: dd.MM.yyyy (CLDR) or %d.%m.%Y")
    ] = None,
    datetime_format: Annotated[str | None, Form(description="Datetime pattern")] = None,
    wait: Annotated[
        bool, Query(description="Import within the request and answer 201 with the summary.")
    ] = False,
) -> Response:
    """Upload an audience file; it is imported by a job (202) or, with ``wait=true``, now (201).

    The file is streamed to storage; the import reads it as a stream and accounts for every
    row (``GET /v1/audiences/{id}`` shows the summary once ``state`` is ``ready``).
    """
    options = _options(
        key,
        columns,
        required,
        format,
        delimiter,
        encoding,
        types,
        locale,
        date_format,
        datetime_format,
    )
    filename = _SAFE_NAME.sub("_", Path(file.filename or "audience.csv").name).strip("._")
    filename = filename or "audience.csv"
    limit = state.settings.max_upload_bytes
    workspace = auth.workspace
    upload = await stream_upload(file, state.settings, workspace.id, filename, limit=limit)
    display = name or file.filename or filename
    if wait:
        audience, reused = await run_in_threadpool(
            _import_now, state, workspace, upload, options, display
        )
        status = 201
    else:
        audience, reused = await run_in_threadpool(
            _import_later, state, workspace, upload, options, display
        )
        status = 202
    body = AudienceImportRead(**AudienceRead.model_validate(audience).model_dump(), reused=reused)
    return Response(body.model_dump_json(), status_code=status, media_type="application/json")


def _import_now(
    state: AppState, workspace: Workspace, upload: Upload, options: ImportOptions, name: str
) -> tuple[Audience, bool]:
    try:
        with (
            local_copy(upload.location, state.settings) as path,
            unit_of_work(state.factory) as session,
        ):
            return import_audience(session, workspace, path=path, options=options, name=name)
    finally:
        delete_source(upload.location, state.settings)


def _import_later(
    state: AppState, workspace: Workspace, upload: Upload, options: ImportOptions, name: str
) -> tuple[Audience, bool]:
    with unit_of_work(state.factory) as session:
        audience, reused = begin_import(
            session,
            workspace,
            source=upload.location,
            source_sha256=upload.sha256,
            source_mtime=upload.received_at,
            options=options,
            name=name,
        )
        if reused:  # the same file with the same options: the upload is not needed
            after_commit(session, partial(delete_source, upload.location, state.settings))
        elif audience.job_id is not None:
            after_commit(session, partial(state.executor.submit, audience.job_id))
    return audience, reused


@router.get("", response_model=Page[AudienceRead])
def list_audiences(
    session: SessionDep,
    auth: AudiencesRead,
    query: ListQueryDep,
    state: AudienceState | None = None,
) -> Page[AudienceRead]:
    """The workspace's audiences, newest first."""
    items, next_cursor = list_workspace_audiences(
        session,
        auth.workspace,
        cursor=query.cursor,
        limit=query.limit,
        state=state.value if state is not None else None,
        name=query.name,
    )
    return Page[AudienceRead](
        items=[AudienceRead.model_validate(a) for a in items], next_cursor=next_cursor
    )


@router.get("/{audience_id}", response_model=AudienceRead)
def read_audience(audience_id: str, session: SessionDep, auth: AudiencesRead) -> AudienceRead:
    """An audience: its state (importing, ready, failed) and, once ready, its summary."""
    return AudienceRead.model_validate(
        get_audience(session, auth.workspace, audience_id=audience_id)
    )


@router.get("/{audience_id}/rejects", response_model=Page[RejectRead])
def read_rejects(
    audience_id: str,
    session: SessionDep,
    auth: AudiencesRead,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[RejectRead]:
    """Rejected rows in row order, with their reasons and raw fields."""
    audience = get_audience(session, auth.workspace, audience_id=audience_id)
    limit = max(1, min(limit, 1000))
    rows = AudienceRepository(session, auth.workspace).rejects(
        audience.id, after_row=decode_int_cursor(cursor), limit=limit + 1
    )
    page = page_by_position(rows, limit, lambda r: r.row)
    return Page[RejectRead](
        items=[RejectRead.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )
