"""HTTP endpoints: ``POST /v1/write`` (copy from a brief), ``POST
/v1/templates/{id}/localize`` (a template's missing catalogs, transcreated) and the workspace's
LLM providers."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from brandloom.auth import AuthContext
from brandloom.generation import flows, service
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


class LocalizeRequest(BaseModel):
    """``POST /v1/templates/{id}/localize``: the locales to write and who writes them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: list[str] = Field(min_length=1, max_length=40, description="locales: de-DE, fr-FR, ...")
    from_: str | None = Field(
        default=None, alias="from", max_length=64, description="the source catalog's locale"
    )
    provider: Literal["offline", "openai", "anthropic"] | None = None
    model: str | None = Field(default=None, max_length=200)
    brand: str | None = Field(default=None, max_length=200)


@router.post("/v1/templates/{template_id}/localize")
def localize_template(
    template_id: str, body: LocalizeRequest, session: SessionDep, auth: Write, state: StateDep
) -> dict[str, Any]:
    """The template's missing catalogs (``to``), transcreated from one it has (``from``,
    else its first) and checked, stored with its other content as a NEW template (templates
    are content-addressed): ``template_id`` (the same id when nothing was written),
    ``written``, ``skipped``, ``failed`` (locale -> problems), ``warnings``, ``usage``. 404
    for another workspace's template; 503 ``provider.unavailable`` without an LLM provider
    (the offline writer cannot translate)."""
    return flows.localize_template(
        session,
        auth.workspace,
        settings=state.settings,
        env=service.ProviderEnv.from_environ(os.environ),
        template_id=template_id,
        to=body.to,
        source=body.from_,
        brand=body.brand,
        provider=body.provider,
        model=body.model,
        cache=state.cache,
    )


class BriefTemplateRequest(BaseModel):
    """``POST /v1/templates/from-brief``: a bulk template written from a brief."""

    model_config = ConfigDict(extra="forbid")

    brief: dict[str, Any] = Field(description="the brief: product, offer, locales, ...")
    variables: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="the audience's variables (first_name makes the greeting personal)",
    )
    provider: Literal["offline", "openai", "anthropic"] | None = None
    model: str | None = Field(default=None, max_length=200)
    regenerate: bool = False
    budget_usd: float | None = Field(default=None, ge=0)
    unsubscribe_url: str | None = Field(default=None, max_length=2_000)


@router.post("/v1/templates/from-brief")
def template_from_brief(
    body: BriefTemplateRequest, session: SessionDep, auth: Write, state: StateDep
) -> dict[str, Any]:
    """Single-query bulk over the API: the template (parts plus one catalog per locale of the
    brief) written by the provider, checked and stored, or the stored one for the same brief,
    provider, model and slots (``template_reused``, ``llm_calls: 0``). Render it with
    ``POST /v1/jobs`` and its ``template_id``."""
    from brandloom.documents.spec import RenderOptions

    brief = parse_brief(body.brief, source="brief")
    written = flows.template_for_brief(
        session,
        auth.workspace,
        settings=state.settings,
        env=service.ProviderEnv.from_environ(os.environ),
        options=RenderOptions(name="brief", locale=brief.locales[0], outputs=["html", "txt"]),
        brief=brief,
        variables=body.variables,
        provider=body.provider,
        model=body.model,
        regenerate=body.regenerate,
        unsubscribe_source=body.unsubscribe_url,
        budget_usd=body.budget_usd,
    )
    return {
        **written.report(),
        "variants": written.variants,
        "locale": brief.locales[0],
        "warnings": written.warnings,
    }


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
