"""HTTP endpoints for templates."""

from __future__ import annotations

from fastapi import APIRouter

from brandloom.api.deps import CurrentWorkspace, SessionDep, StateDep
from brandloom.templates.schemas import TemplateCreate, TemplateRead
from brandloom.templates.service import get_template, save_template

router = APIRouter(prefix="/v1/templates", tags=["templates"])


@router.post("", status_code=201, response_model=TemplateRead)
def create_template(
    body: TemplateCreate, session: SessionDep, workspace: CurrentWorkspace, state: StateDep
) -> TemplateRead:
    """Store a template after compiling it; syntax errors answer 422 with line and column."""
    template = save_template(
        session,
        workspace,
        name=body.name,
        engine=body.engine,
        parts=body.parts,
        cache=state.cache,
    )
    return TemplateRead.model_validate(template)


@router.get("/{template_id}", response_model=TemplateRead)
def read_template(
    template_id: str, session: SessionDep, workspace: CurrentWorkspace, state: StateDep
) -> TemplateRead:
    template = get_template(
        session,
        workspace,
        template_id=template_id,
        cache=state.cache,
        ttl=state.settings.cache_ttl_seconds,
    )
    return TemplateRead.model_validate(template)
