"""HTTP endpoints for audiences: upload (streamed to disk) and import, read, rejects."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, File, Form, UploadFile

from brandloom.api.deps import SessionDep, StateDep, require_scopes
from brandloom.audiences.reader import ImportOptions
from brandloom.audiences.repository import AudienceRepository
from brandloom.audiences.schemas import AudienceImportRead, AudienceRead, RejectRead
from brandloom.audiences.service import get_audience, import_audience
from brandloom.auth import AuthContext
from brandloom.errors import ValidationFailed
from brandloom.kit.ids import new_id
from brandloom.kit.pagination import Page, decode_int_cursor, encode_cursor

router = APIRouter(prefix="/v1/audiences", tags=["audiences"])

AudiencesRead = Annotated[AuthContext, Depends(require_scopes("audiences:read"))]
AudiencesWrite = Annotated[AuthContext, Depends(require_scopes("audiences:write"))]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
COPY_BLOCK = 1 << 20


def _parse_columns(columns: str | None) -> dict[str, str]:
    if not columns:
        return {}
    try:
        value = orjson.loads(columns)
    except orjson.JSONDecodeError:
        raise ValidationFailed("columns: not valid JSON", code="request.invalid") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(
            "columns: must be a JSON object of field -> column header", code="request.invalid"
        )
    return value


@router.post("", status_code=201, response_model=AudienceImportRead)
async def upload_audience(
    state: StateDep,
    session: SessionDep,
    auth: AudiencesWrite,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSONL or XLSX")],
    name: Annotated[str | None, Form()] = None,
    key: Annotated[str | None, Form()] = None,
    columns: Annotated[str | None, Form(description="JSON: field -> column header")] = None,
    required: Annotated[str | None, Form(description="comma-separated fields")] = None,
    format: Annotated[str | None, Form()] = None,
    delimiter: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
) -> AudienceImportRead:
    """Upload an audience file and import it; the summary counts every row."""
    filename = _SAFE_NAME.sub("_", Path(file.filename or "audience.csv").name).strip("._")
    folder = state.settings.uploads_dir / auth.workspace.id / new_id("up")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (filename or "audience.csv")
    written = 0
    with open(target, "wb") as out:
        while block := await file.read(COPY_BLOCK):
            written += len(block)
            if written > state.settings.max_upload_bytes:
                out.close()
                os.unlink(target)
                raise ValidationFailed(
                    f"upload larger than {state.settings.max_upload_bytes} bytes",
                    code="audience.too_large",
                    status=413,
                )
            out.write(block)
    options = ImportOptions(
        key=key or None,
        columns=_parse_columns(columns),
        required=tuple(r.strip() for r in (required or "").split(",") if r.strip()),
        format=format or None,
        delimiter=delimiter or None,
        encoding=encoding or None,
    )
    audience, reused = import_audience(
        session, auth.workspace, path=target, options=options, name=name or file.filename
    )
    if reused:
        os.unlink(target)
    return AudienceImportRead(**AudienceRead.model_validate(audience).model_dump(), reused=reused)


@router.get("/{audience_id}", response_model=AudienceRead)
def read_audience(audience_id: str, session: SessionDep, auth: AudiencesRead) -> AudienceRead:
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
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[RejectRead](
        items=[RejectRead.model_validate(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].row) if more and rows else None,
    )
