"""HTTP endpoints: ``POST /v1/write`` (copy from a brief) and the workspace's LLM providers."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from brandloom.auth import AuthContext
from brandloom.generation import service
from brandloom.generation.brief import parse_brief
from brandloom.generation.schemas import (
    LLMSettingsUpdate,
    ProviderRead,
    ProviderUpdate,
    WriteRequest,
    provider_read,
    providers_overview,
)
from brandloom.web.deps import SessionDep, StateDep, require_scopes

router = APIRouter(tags=["generation"])

Write = Annotated[AuthContext, Depends(require_scopes("write"))]
ProvidersRead = Annotated[AuthContext, Depends(require_scopes("providers:read"))]
ProvidersWrite = Annotated[AuthContext, Depends(require_scopes("providers:write"))]


@router.post("/v1/write")
def write_copy(body: WriteRequest, session: SessionDep, auth: Write, state: StateDep) -> Any:
    """Candidates for every channel and locale of the brief, scored and ranked, with ``best``
    (``"<channel>|<locale>"`` -> index into ``candidates``) and the calls' ``usage``. 422
    naming a bad brief field; 503 ``provider.unavailable`` when no provider can be used."""
    brief = parse_brief(body.brief, source="brief")
    return service.write(
        session,
        auth.workspace,
        settings=state.settings,
        env=service.ProviderEnv.from_environ(os.environ),
        brief=brief,
        provider=body.provider,
        model=body.model,
        n=body.n,
        budget_usd=body.budget_usd,
        seed=body.seed,
    )


@router.get("/v1/providers")
def list_providers(session: SessionDep, auth: ProvidersRead) -> dict[str, Any]:
    """The workspace's providers in fallback order (never their keys), the default writer,
    the monthly budget and this month's usage."""
    return providers_overview(session, auth.workspace, service=service)


@router.put("/v1/providers/{name}", response_model=ProviderRead)
def put_provider(
    name: str, body: ProviderUpdate, session: SessionDep, auth: ProvidersWrite, state: StateDep
) -> ProviderRead:
    row = service.set_provider(
        session,
        auth.workspace,
        settings=state.settings,
        name=name,
        model=body.model,
        base_url=body.base_url,
        api_key=body.api_key,
        clear_key=body.clear_key,
        prices=body.prices,
        timeout_s=body.timeout_s,
        position=body.position,
    )
    return provider_read(row)


@router.delete("/v1/providers/{name}", status_code=204)
def delete_provider(name: str, session: SessionDep, auth: ProvidersWrite) -> Response:
    service.remove_provider(session, auth.workspace, name=name)
    return Response(status_code=204)


@router.patch("/v1/providers")
def update_settings(
    body: LLMSettingsUpdate, session: SessionDep, auth: ProvidersWrite
) -> dict[str, Any]:
    """The default writer and the monthly budget."""
    service.update_llm_settings(
        session,
        auth.workspace,
        default_provider=body.default_provider,
        monthly_budget_usd=body.monthly_budget_usd,
        monthly_budget_tokens=body.monthly_budget_tokens,
        clear_budget=body.clear_budget,
    )
    return providers_overview(session, auth.workspace, service=service)
