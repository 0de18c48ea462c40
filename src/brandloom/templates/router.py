"""HTTP endpoints for templates: store, read, list, validate.

Previews render documents, so they live with the renderer (``documents.router``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from brandloom.auth import AuthContext
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
        cache=state.cache,
    )
    return TemplateRead.model_validate(template)


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
    check = validate_template(engine=body.engine, parts=body.parts, cache=state.cache)
    return TemplateValidation(
        valid=True,
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
