"""HTTP endpoints for brands: CRUD, guidelines versions, kit and logo, library, voice, score
and lint."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from brandloom.analysis.guidelines import parse_guidelines
from brandloom.auth import AuthContext
from brandloom.brands import service
from brandloom.brands.errors import LibraryError
from brandloom.brands.kit import MAX_LOGO_BYTES, check_logo, parse_kit
from brandloom.brands.library import FORMATS
from brandloom.brands.models import BrandGuidelines
from brandloom.brands.schemas import (
    BrandCreate,
    BrandRead,
    BrandUpdate,
    GuidelinesRead,
    GuidelinesSaved,
    ImportReportRead,
    LibraryImport,
    LibraryTextRead,
    LintResponse,
    ScoreResponse,
    TextsRequest,
    VoiceRead,
)
from brandloom.db.engine import unit_of_work
from brandloom.db.paging import MAX_LIMIT
from brandloom.errors import ValidationFailed
from brandloom.kit.pagination import Page, decode_int_cursor, encode_cursor
from brandloom.kit.validation import validation_messages
from brandloom.web.deps import ListQueryDep, SessionDep, StateDep, require_scopes

router = APIRouter(prefix="/v1/brands", tags=["brands"])

BrandsRead = Annotated[AuthContext, Depends(require_scopes("brands:read"))]
BrandsWrite = Annotated[AuthContext, Depends(require_scopes("brands:write"))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.post("", status_code=201, response_model=BrandRead)
def create_brand(body: BrandCreate, session: SessionDep, auth: BrandsWrite) -> BrandRead:
    """A brand, with its guidelines (version 1) and kit when given; 409 `brand.exists` for a
    name the workspace already has, 422 naming a bad guidelines or kit field."""
    guidelines = (
        parse_guidelines(body.guidelines, source="guidelines")
        if body.guidelines is not None
        else None
    )
    kit = parse_kit(body.kit) if body.kit is not None else None
    brand = service.create_brand(
        session, auth.workspace, name=body.name, guidelines=guidelines, kit=kit
    )
    return BrandRead.model_validate(brand)


@router.get("", response_model=Page[BrandRead])
def list_brands(session: SessionDep, auth: BrandsRead, query: ListQueryDep) -> Page[BrandRead]:
    """The workspace's brands, newest first."""
    items, next_cursor = service.list_brands(
        session, auth.workspace, cursor=query.cursor, limit=query.limit, name=query.name
    )
    return Page[BrandRead](
        items=[BrandRead.model_validate(b) for b in items], next_cursor=next_cursor
    )


@router.get("/{brand_id}", response_model=BrandRead)
def read_brand(brand_id: str, session: SessionDep, auth: BrandsRead) -> BrandRead:
    return BrandRead.model_validate(service.get_brand(session, auth.workspace, brand_id=brand_id))


@router.patch("/{brand_id}", response_model=BrandRead)
def update_brand(
    brand_id: str, body: BrandUpdate, session: SessionDep, auth: BrandsWrite
) -> BrandRead:
    """Rename a brand (409 `brand.exists` when the name is taken)."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    return BrandRead.model_validate(
        service.rename_brand(session, auth.workspace, brand=brand, name=body.name)
    )


@router.delete("/{brand_id}", status_code=204)
def delete_brand(brand_id: str, session: SessionDep, auth: BrandsWrite) -> Response:
    """Delete a brand with its guidelines versions, library and voices."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    service.delete_brand(session, auth.workspace, brand=brand)
    return Response(status_code=204)


# -- guidelines --------------------------------------------------------------------------


def _guidelines(row: BrandGuidelines) -> GuidelinesRead:
    return GuidelinesRead(version=row.version, guidelines=row.data, created_at=row.created_at)


@router.get("/{brand_id}/guidelines", response_model=GuidelinesRead)
def read_guidelines(brand_id: str, session: SessionDep, auth: BrandsRead) -> GuidelinesRead:
    """The current guidelines (404 `brand.no_guidelines` while the brand has none)."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    return _guidelines(service.current_guidelines(session, auth.workspace, brand=brand))


@router.put("/{brand_id}/guidelines", response_model=GuidelinesSaved)
def put_guidelines(
    brand_id: str, body: dict[str, Any], session: SessionDep, auth: BrandsWrite
) -> GuidelinesSaved:
    """New guidelines become a new version (the old ones stay readable); guidelines equal to
    the current ones change nothing (`changed: false`). 422 naming each bad field."""
    guidelines = parse_guidelines(body, source="guidelines")
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    row, changed = service.set_guidelines(
        session, auth.workspace, brand=brand, guidelines=guidelines
    )
    return GuidelinesSaved(**_guidelines(row).model_dump(), changed=changed)


@router.get("/{brand_id}/guidelines/versions", response_model=Page[GuidelinesRead])
def list_guidelines_versions(
    brand_id: str,
    session: SessionDep,
    auth: BrandsRead,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[GuidelinesRead]:
    """Every guidelines version of the brand, newest first."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    before = decode_int_cursor(cursor) or None
    rows = service.list_guidelines_versions(
        session, auth.workspace, brand=brand, before=before, limit=limit
    )
    items = rows[:limit]
    more = len(rows) > limit and items
    return Page[GuidelinesRead](
        items=[_guidelines(r) for r in items],
        next_cursor=encode_cursor(items[-1].version) if more else None,
    )


@router.get("/{brand_id}/guidelines/versions/{version}", response_model=GuidelinesRead)
def read_guidelines_version(
    brand_id: str, version: int, session: SessionDep, auth: BrandsRead
) -> GuidelinesRead:
    """One guidelines version, current or not."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    return _guidelines(
        service.guidelines_version(session, auth.workspace, brand=brand, version=version)
    )


# -- kit ---------------------------------------------------------------------------------


@router.put("/{brand_id}/kit", response_model=BrandRead)
def put_kit(
    brand_id: str, body: dict[str, Any], session: SessionDep, auth: BrandsWrite
) -> BrandRead:
    """Replace the visual kit (`colors`, `font`, `address`, `legal_footer`, `sender`); the
    logo stays. 422 naming each bad field (a color that is not #RRGGBB, a font not shipped)."""
    kit = parse_kit(body)
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    return BrandRead.model_validate(service.set_kit(session, auth.workspace, brand=brand, kit=kit))


@router.put("/{brand_id}/kit/logo", response_model=BrandRead)
async def put_logo(
    brand_id: str,
    auth: BrandsWrite,
    state: StateDep,
    file: Annotated[UploadFile, File(description="PNG or SVG, at most 1 MiB.")],
) -> BrandRead:
    """Upload the logo: a PNG (at most 4096 pixels a side) or an SVG without scripts, told by
    its bytes; 413 `brand.logo_too_large` over 1 MiB, 422 `brand.logo` otherwise."""
    logo = check_logo(await file.read(MAX_LOGO_BYTES + 1), source=f"logo ({file.filename})")
    workspace = auth.workspace

    def save() -> BrandRead:
        with unit_of_work(state.factory) as session:
            brand = service.get_brand(session, workspace, brand_id=brand_id)
            return BrandRead.model_validate(
                service.set_logo(session, workspace, brand=brand, logo=logo)
            )

    return await run_in_threadpool(save)


@router.get(
    "/{brand_id}/kit/logo",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "logo"}},
)
def read_logo(brand_id: str, session: SessionDep, auth: BrandsRead) -> Response:
    """The logo as uploaded (404 `brand.no_logo` without one)."""
    logo = service.get_logo(session, auth.workspace, brand_id=brand_id)
    return Response(
        logo.data,
        media_type=logo.media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            # An SVG opened on its own runs as a document: nothing in it may load or run.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            "Cache-Control": "private, max-age=60",
        },
    )


# -- library -----------------------------------------------------------------------------


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` put in place: the route's OpenAPI entry is
    written by hand, and ``#/$defs/...`` would point into the OpenAPI document itself."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {
                            "type": "string",
                            "enum": list(FORMATS),
                        },
                        "channel": {"type": "string"},
                        "locale": {"type": "string"},
                    },
                }
            },
            "application/json": {"schema": _inlined(LibraryImport.model_json_schema())},
        },
    }
}


@router.post(
    "/{brand_id}/library",
    response_model=ImportReportRead,
    response_model_exclude_none=True,
    openapi_extra=_IMPORT_BODY,
)
async def import_library(
    brand_id: str, request: Request, auth: BrandsWrite, state: StateDep
) -> ImportReportRead:
    """Add texts to the content library: a file (multipart `file`: TXT, CSV/TSV with a `text`
    column, Markdown, HTML, JSONL; the format from its extension unless `format` names it;
    `channel` and `locale` for texts without their own) or JSON `{"texts": [{"text",
    "channel", "locale"}]}`. Duplicates are skipped and counted; rejected texts are listed
    with their line (row) and reason."""
    workspace = auth.workspace
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        data, filename, options = await _library_upload(request)

        def run() -> service.ImportReport:
            with unit_of_work(state.factory) as session:
                brand = service.get_brand(session, workspace, brand_id=brand_id)
                return service.import_file(
                    session, workspace, brand=brand, data=data, filename=filename, **options
                )

    else:
        body = _library_json(await request.body())

        def run() -> service.ImportReport:
            with unit_of_work(state.factory) as session:
                brand = service.get_brand(session, workspace, brand_id=brand_id)
                items = service.library_items([t.model_dump() for t in body.texts])
                return service.import_texts(
                    session, workspace, brand=brand, items=items, format="json"
                )

    report = await run_in_threadpool(run)
    return ImportReportRead.model_validate(report.to_dict())


async def _library_upload(request: Request) -> tuple[bytes, str, dict[str, str | None]]:
    form = await request.form()
    try:
        upload = form.get("file")
        if not isinstance(upload, StarletteUpload):
            raise LibraryError("file: send the library file as the multipart field 'file'")
        data = await upload.read(service.MAX_LIBRARY_BYTES + 1)
        if len(data) > service.MAX_LIBRARY_BYTES:
            raise ValidationFailed(
                f"file ({upload.filename}): larger than {service.MAX_LIBRARY_BYTES:,} bytes",
                code="brand.too_large",
                status=413,
            )
        options = {
            name: value if isinstance(value := form.get(name), str) and value else None
            for name in ("format", "channel", "locale")
        }
        return data, upload.filename or "upload", options
    finally:
        await form.close()


def _library_json(raw: bytes) -> LibraryImport:
    try:
        return LibraryImport.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        lines = validation_messages(exc, model=LibraryImport)
        raise ValidationFailed("; ".join(lines), code="request.invalid") from None


@router.get("/{brand_id}/library", response_model=Page[LibraryTextRead])
def list_library(
    brand_id: str,
    session: SessionDep,
    auth: BrandsRead,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[LibraryTextRead]:
    """The content library, newest first."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    items, next_cursor = service.list_texts(
        session, auth.workspace, brand=brand, cursor=cursor, limit=limit
    )
    return Page[LibraryTextRead](
        items=[LibraryTextRead.model_validate(t) for t in items], next_cursor=next_cursor
    )


# -- voice, score, lint ------------------------------------------------------------------


@router.post("/{brand_id}/voice", status_code=201, response_model=VoiceRead)
def train_voice(brand_id: str, session: SessionDep, auth: BrandsWrite) -> VoiceRead:
    """Fit the brand's voice on its library (the newest 5,000 texts) now; it becomes the
    current voice. 409 `brand.no_texts` on an empty library, 422 with too few usable texts."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    return VoiceRead.model_validate(service.train_voice(session, auth.workspace, brand=brand))


@router.get("/{brand_id}/voice", response_model=VoiceRead)
def read_voice(brand_id: str, session: SessionDep, auth: BrandsRead) -> VoiceRead:
    """The current voice and what it learned (404 `brand.no_voice` before one is trained)."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    return VoiceRead.model_validate(service.current_voice(session, auth.workspace, brand=brand))


@router.post("/{brand_id}/score", response_model=ScoreResponse)
def score(brand_id: str, body: TextsRequest, session: SessionDep, auth: BrandsRead) -> Any:
    """How close each text is to the brand's voice (0-100, per dimension, with suggestions)
    and its guideline violations; each item names the voice and guidelines version used.
    413 over the limits of `POST /v1/analyze`, 422 for an unknown locale."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    scorer = service.voice_scorer(session, auth.workspace, brand=brand)
    return {"items": scorer.score(body.texts, channel=body.channel, locale=body.locale)}


@router.post("/{brand_id}/lint", response_model=LintResponse)
def lint(brand_id: str, body: TextsRequest, session: SessionDep, auth: BrandsRead) -> Any:
    """The guideline violations of each text (code, span, message, suggestion, severity),
    with the guidelines version used; 404 `brand.no_guidelines` without guidelines."""
    brand = service.get_brand(session, auth.workspace, brand_id=brand_id)
    linter = service.guidelines_linter(session, auth.workspace, brand=brand)
    return {"items": linter.lint(body.texts, channel=body.channel, locale=body.locale)}
