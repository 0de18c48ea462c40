"""Single-query bulk: a spec's ``brief:`` becomes a stored template before the job renders.

The template is stored in the workspace as an ordinary template named ``brief-<key>``, where the
key is the hash of the brief, the provider and model, the prompt version, whether the audience
offers the ``first_name`` slot, and the spec's unsubscribe link. A rerun with the same inputs
(into any ``--out``) finds it and makes no LLM call; ``regenerate`` writes a new one. Before it
is stored it passes the checks every template passes (sandbox, known variables, fallbacks,
catalog completeness); language and culture findings on its copy are warnings.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from brandloom.cache import Cache
from brandloom.documents.flows import prepare_template
from brandloom.documents.spec import RenderOptions
from brandloom.generation import service
from brandloom.generation.brief import Brief
from brandloom.generation.templates import (
    SLOT,
    TEMPLATE_PROMPT_VERSION,
    VARIANTS,
    TemplateWriteError,
    catalog_keys,
    language_warnings,
    write_template,
)
from brandloom.kit.hashing import sha256_hex
from brandloom.providers.llm.base import ZERO_USAGE, Usage
from brandloom.settings import Settings
from brandloom.templates.repository import TemplateRepository
from brandloom.templates.service import save_template
from brandloom.workspaces.models import Workspace


@dataclass(slots=True)
class BriefTemplate:
    """The template a brief became: stored (``template_id``), reused or just written."""

    template_id: str
    parts: dict[str, str]
    messages: dict[str, dict[str, Any]]
    variants: dict[str, dict[str, str]]
    reused: bool
    provider: str
    model: str | None
    usage: Usage = ZERO_USAGE
    warnings: list[dict[str, str]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """What ``report.json`` says of it."""
        return {
            "template_id": self.template_id,
            "template_reused": self.reused,
            "writer": {"provider": self.provider, "model": self.model},
            "llm_calls": self.usage.calls,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cost_usd": self.usage.cost_usd,
        }


def template_key(
    brief: Brief,
    *,
    provider: str,
    model: str | None,
    personalize: bool,
    unsubscribe_source: str | None,
) -> str:
    return sha256_hex(
        orjson.dumps(
            {
                "brief": brief.to_data(),
                "provider": provider,
                "model": model,
                "prompt": TEMPLATE_PROMPT_VERSION,
                "slots": [SLOT] if personalize else [],
                "unsubscribe": unsubscribe_source,
            },
            option=orjson.OPT_SORT_KEYS,
        )
    )


def template_for_brief(
    session: Session,
    workspace: Workspace,
    *,
    settings: Settings,
    env: service.ProviderEnv,
    options: RenderOptions,
    brief: Brief,
    variables: list[str] | tuple[str, ...],
    provider: str | None = None,
    model: str | None = None,
    preferred: Any = None,
    regenerate: bool = False,
    unsubscribe_source: str | None = None,
    budget_usd: float | None = None,
) -> BriefTemplate:
    """The stored template for ``brief`` (module docstring); written when missing, within
    ``budget_usd`` (and the workspace's monthly budget)."""
    personalize = SLOT in variables
    if brief.segments is not None and brief.segments.column not in variables:
        raise TemplateWriteError(
            f"brief: segments.column {brief.segments.column!r} is not a column of the audience "
            f"(its variables: {', '.join(variables)})"
        )
    name, chosen_model = service.chosen_writer(
        session, workspace, provider=provider, model=model, preferred=preferred or brief.provider
    )
    key = template_key(
        brief,
        provider=name,
        model=chosen_model,
        personalize=personalize,
        unsubscribe_source=unsubscribe_source,
    )
    template_name = f"brief-{key[:32]}"
    names = catalog_keys(brief.locales)
    by_catalog = {names[loc]: loc for loc in brief.locales}
    if not regenerate:
        stored = TemplateRepository(session, workspace).find_by_name(template_name)
        if stored is not None:
            messages = stored.messages or {}
            return BriefTemplate(
                template_id=stored.id,
                parts=dict(stored.parts),
                messages=messages,
                variants=dict(VARIANTS),
                reused=True,
                provider=name,
                model=chosen_model,
                warnings=language_warnings(messages, by_catalog),
            )
    brand = (
        service.brand_context(session, workspace, name=brief.brand, brief=brief)
        if brief.brand
        else None
    )
    resolved = service.resolve_writer(
        session,
        workspace,
        settings=settings,
        env=env,
        provider=name,
        model=chosen_model,
        budget_usd=budget_usd,
        # --regenerate asks for a new answer: the stored responses are not read
        cache_dir=None if regenerate else settings.data_dir / "llm-cache",
    )

    async def run() -> Any:
        try:
            return await write_template(
                brief,
                choice=resolved.choice,
                brand=brand,
                personalize=personalize,
                unsubscribe_source=unsubscribe_source,
            )
        finally:
            await resolved.aclose()

    try:
        written = asyncio.run(run())
    finally:
        for (provider_name, model_name), usage in resolved.spent.items():
            service.record_usage(
                session,
                workspace,
                purpose="template",
                provider=provider_name,
                model=model_name,
                usage=usage,
            )
    prepared = prepare_template(
        options,
        engine="jinja",
        parts=written.parts,
        variants=written.variants,
        messages=written.messages,
        variant_messages={},
    )
    prepared.check_variables(list(variables))
    template = save_template(
        session,
        workspace,
        name=template_name,
        engine="jinja",
        parts=written.parts,
        messages=written.messages,
    )
    return BriefTemplate(
        template_id=template.id,
        parts=dict(written.parts),
        messages=written.messages,
        variants=written.variants,
        reused=False,
        provider=name,
        model=chosen_model,
        usage=written.usage,
        warnings=written.warnings,
    )


def localize_template(
    session: Session,
    workspace: Workspace,
    *,
    settings: Settings,
    env: service.ProviderEnv,
    template_id: str,
    to: list[str],
    source: str | None = None,
    brand: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    cache: Cache | None = None,
) -> dict[str, Any]:
    """A stored template's missing catalogs, transcreated (``service.localize_catalogs``) and
    stored with its other content as a new template (templates are content-addressed)."""
    from brandloom.templates import service as templates

    template = templates.get_template(session, workspace, template_id=template_id, cache=cache)
    messages = dict(template.messages or {})
    result = service.localize_catalogs(
        session,
        workspace,
        settings=settings,
        env=env,
        messages=messages,
        to=to,
        source=source,
        brand=brand,
        provider=provider,
        model=model,
    )
    stored = template
    if result.catalogs:
        stored = templates.save_template(
            session,
            workspace,
            name=template.name,
            engine=template.engine,
            parts=template.parts,
            docx=template.docx,
            messages={**messages, **result.catalogs},
            locales=template.locales,
            assets=templates.template_assets(template),
            cache=cache,
        )
    return {
        "template_id": stored.id,
        "source": result.source,
        "written": list(result.catalogs),
        "skipped": result.skipped,
        "failed": result.failed,
        "warnings": result.warnings,
        "usage": result.usage.to_data(),
        "writer": result.writer,
    }
