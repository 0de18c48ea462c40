"""HTTP endpoints for templates: store, read, list, validate.

Previews render documents, so they live with the renderer (``documents.router``).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool

from brandloom.auth import AuthContext
from brandloom.db.engine import unit_of_work
from brandloom.errors import ValidationFailed
from brandloom.kit.pagination import Page
from brandloom.templates.schemas import (
    TemplateBody,
    TemplateCreate,
    TemplateRead,
    TemplateSummary,
    TemplateValidation,
    TemplateWarning,
    VariableRead,
)
from brandloom.templates.service import (
    get_template,
    list_templates,
    save_template,
    validate_template,
)
from brandloom.templates.uploads import (
    MAX_TEMPLATE_FILE_BYTES,
    decode_text,
    uploaded_locales,
    uploaded_messages,
)
from brandloom.web.deps import ListQueryDep, SessionDep, StateDep, require_scopes

router = APIRouter(prefix="/v1/templates", tags=["templates"])

TemplatesRead = Annotated[AuthContext, Depends(require_scopes("templates:read"))]
TemplatesWrite = Annotated[AuthContext, Depends(require_scopes("templates:write"))]


@router.post("", status_code=201, response_model=TemplateRead)
def create_template(
    body: TemplateCreate, session: SessionDep, auth: TemplatesWrite, state: StateDep
) -> TemplateRead:
    """Store a template after compiling it; syntax errors answer 422 with line and column."""
    template = save_template(
        session,
        auth.workspace,
        name=body.name,
        engine=body.engine,
        parts=body.parts,
        messages=body.messages,
        locales=body.locales,
        cache=state.cache,
    )
    return TemplateRead.model_validate(template)


PartFile = Annotated[UploadFile | None, File()]


@router.post("/files", status_code=201, response_model=TemplateRead)
async def upload_template(
    auth: TemplatesWrite,
    state: StateDep,
    name: Annotated[str, Form(min_length=1, max_length=500)],
    engine: Annotated[Literal["jinja", "liquid"], Form()] = "jinja",
    subject: Annotated[str | None, Form(description="The subject line (text).")] = None,
    preheader: Annotated[str | None, Form(description="The preheader (text).")] = None,
    html: PartFile = None,
    text: PartFile = None,
    markdown: PartFile = None,
    sms: PartFile = None,
    pdf: PartFile = None,
    typst: PartFile = None,
    assets: Annotated[
        list[UploadFile] | None,
        File(description="Images the typst part places, by file name: logo.png, seal.svg."),
    ] = None,
    messages: Annotated[
        list[UploadFile] | None,
        File(description="Catalog files named by locale: en.yaml, de.po, pt-BR.json."),
    ] = None,
    locales: Annotated[
        UploadFile | None,
        File(description="YAML or JSON: locale -> part -> text ({ja: {subject: ...}})."),
    ] = None,
) -> TemplateRead:
    """Store a template sent as files, as they sit next to a spec: ``-F html=@email.html
    -F messages=@messages/en.yaml -F messages=@messages/de.yaml``. Checked like
    ``POST /v1/templates``: syntax errors and catalog problems answer 422 naming the file."""
    parts: dict[str, str] = {}
    for part, value in (("subject", subject), ("preheader", preheader)):
        if value is not None:
            parts[part] = value
    for part, upload in (
        ("html", html),
        ("text", text),
        ("markdown", markdown),
        ("sms", sms),
        ("pdf", pdf),
        ("typst", typst),
    ):
        if upload is not None:
            parts[part] = decode_text(await _read(upload, part), part, upload.filename)
    if not parts:
        raise ValidationFailed(
            "give at least one part (html, text, markdown, sms, pdf, typst as files; subject, "
            "preheader as text)",
            code="template.invalid",
        )
    files = [(PurePath(f.filename or "").name, await _read(f, "assets")) for f in assets or []]
    if len({name for name, _ in files}) != len(files):
        raise ValidationFailed("assets: two files have the same name", code="template.asset")
    catalogs = uploaded_messages([(f.filename, await _read(f, "messages")) for f in messages or []])
    overrides = (
        uploaded_locales(await _read(locales, "locales"), locales.filename) if locales else {}
    )

    def save() -> TemplateRead:
        with unit_of_work(state.factory) as session:
            template = save_template(
                session,
                auth.workspace,
                name=name,
                engine=engine,
                parts=parts,
                messages=catalogs,
                locales=overrides,
                assets=dict(files),
                cache=state.cache,
            )
            return TemplateRead.model_validate(template)

    return await run_in_threadpool(save)


async def _read(upload: UploadFile, field: str) -> bytes:
    data = await upload.read(MAX_TEMPLATE_FILE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_FILE_BYTES:
        raise ValidationFailed(
            f"{field} ({upload.filename}): larger than {MAX_TEMPLATE_FILE_BYTES} bytes",
            code="template.too_large",
            status=413,
        )
    return data


@router.get("", response_model=Page[TemplateSummary])
def list_workspace_templates(
    session: SessionDep, auth: TemplatesRead, query: ListQueryDep
) -> Page[TemplateSummary]:
    """The workspace's templates, newest first."""
    items, next_cursor = list_templates(
        session, auth.workspace, cursor=query.cursor, limit=query.limit, name=query.name
    )
    return Page[TemplateSummary](
        items=[
            TemplateSummary(
                id=t.id,
                name=t.name,
                engine=t.engine,
                part_names=list(t.parts),
                message_locales=list(t.messages or {}),
                created_at=t.created_at,
            )
            for t in items
        ],
        next_cursor=next_cursor,
    )


@router.post("/validate", response_model=TemplateValidation)
def validate(body: TemplateBody, auth: TemplatesRead, state: StateDep) -> TemplateValidation:
    """Compile a template as a job would, storing nothing: its variables and warnings, or 422
    with the error's part, line and column."""
    check = validate_template(
        engine=body.engine,
        parts=body.parts,
        messages=body.messages,
        locales=body.locales,
        cache=state.cache,
    )
    catalogs = check.catalogs
    return TemplateValidation(
        valid=True,
        message_locales=catalogs.locales if catalogs else [],
        message_keys=sorted(catalogs.keys()) if catalogs else [],
        variables=[
            VariableRead(name=u.name, required=u.name in check.required, part=u.part, line=u.line)
            for u in check.variables
        ],
        warnings=[TemplateWarning(code=code, message=msg) for code, msg in check.warnings],
    )


@router.get("/{template_id}", response_model=TemplateRead)
def read_template(
    template_id: str, session: SessionDep, auth: TemplatesRead, state: StateDep
) -> TemplateRead:
    template = get_template(
        session,
        auth.workspace,
        template_id=template_id,
        cache=state.cache,
        ttl=state.settings.cache_ttl_seconds,
    )
    return TemplateRead.model_validate(template)
