"""HTTP endpoints for templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from brandloom.api.deps import SessionDep, StateDep, require_scopes
from brandloom.auth import AuthContext
from brandloom.templates.schemas import TemplateCreate, TemplateRead
from brandloom.templates.service import get_template, save_template

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
