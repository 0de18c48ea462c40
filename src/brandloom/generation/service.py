"""Copy from a brief, with the database: providers per workspace, brands, usage and budgets.

Which writer writes (the contract): ``--provider`` (or the API's ``provider``), else the brief's
or spec's ``provider:``, else the workspace's default provider, else ``offline``. API-key
environment variables supply credentials to a provider that was chosen; they never choose one.
An LLM provider is followed by the workspace's other configured providers, in their order, as
fallbacks. Budgets: the workspace's monthly budget (what ``llm_usage`` recorded this month) and
a per-call budget, both checked before each call is sent.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from brandloom.errors import NotFoundError, ValidationFailed
from brandloom.generation import secrets
from brandloom.generation.brief import Brief
from brandloom.generation.models import LLMProvider, LLMSettings, LLMUsage
from brandloom.generation.prompts import BrandNotes
from brandloom.generation.repository import LLMRepository
from brandloom.generation.scoring import BrandJudge
from brandloom.generation.writer import BrandContext, WriterChoice, write_copy
from brandloom.kit.ids import new_id
from brandloom.kit.locale import language_of
from brandloom.providers.llm.base import ProviderUnavailable, Usage
from brandloom.settings import Settings
from brandloom.workspaces.models import Workspace

LLM_PROVIDERS = ("openai", "anthropic")
WRITERS = ("offline", *LLM_PROVIDERS)
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}
_ENV_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
FEW_SHOT = 5  # library texts shown to an LLM as examples of the voice
_LIBRARY_SCAN = 2_000  # newest library texts considered for them


@dataclass(frozen=True, slots=True)
class ProviderEnv:
    """Credentials the process environment offers (read once, at the edge)."""

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProviderEnv:
        return cls(
            openai_api_key=environ.get("OPENAI_API_KEY") or None,
            openai_base_url=environ.get("OPENAI_BASE_URL") or None,
            anthropic_api_key=environ.get("ANTHROPIC_API_KEY") or None,
            anthropic_base_url=environ.get("ANTHROPIC_BASE_URL") or None,
        )

    def key(self, name: str) -> str | None:
        return self.openai_api_key if name == "openai" else self.anthropic_api_key

    def base_url(self, name: str) -> str | None:
        return self.openai_base_url if name == "openai" else self.anthropic_base_url


class UnknownProvider(ValidationFailed):
    code = "provider.unknown"


def _check_name(name: str, *, offline: bool = True) -> str:
    name = name.strip().lower()
    allowed = WRITERS if offline else LLM_PROVIDERS
    if name not in allowed:
        raise UnknownProvider(f"unknown provider {name!r}; known: {', '.join(allowed)}")
    return name


# -- provider settings ---------------------------------------------------------------------


def _provider_row(session: Session, workspace: Workspace, name: str) -> LLMProvider | None:
    return LLMRepository(session, workspace).provider(name)


def list_providers(session: Session, workspace: Workspace) -> list[LLMProvider]:
    """The workspace's providers in fallback order."""
    return LLMRepository(session, workspace).providers()


def set_provider(
    session: Session,
    workspace: Workspace,
    *,
    settings: Settings,
    name: str,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    clear_key: bool = False,
    prices: Mapping[str, float] | None = None,
    timeout_s: float | None = None,
    position: int | None = None,
) -> LLMProvider:
    """Create or change a provider's settings; ``api_key`` is stored encrypted."""
    name = _check_name(name, offline=False)
    if base_url is not None and base_url and not re.match(r"^https?://", base_url):
        raise ValidationFailed(f"base_url: expected an http:// or https:// URL, not {base_url!r}")
    if prices is not None:
        for key in prices:
            if key not in ("input_per_mtok", "output_per_mtok"):
                raise ValidationFailed(
                    f"prices: unknown key {key!r}; use input_per_mtok and output_per_mtok"
                )
            value = prices[key]
            if not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
                raise ValidationFailed(f"prices.{key}: expected a non-negative number (USD)")
    row = _provider_row(session, workspace, name)
    if row is None:
        count = LLMRepository(session, workspace).count_providers()
        row = LLMProvider(
            id=new_id("llm"),
            workspace_id=workspace.id,
            name=name,
            position=count,
            timeout_s=60.0,
        )
        LLMRepository(session, workspace).add(row)
    if model is not None:
        row.model = model.strip() or None
    if base_url is not None:
        row.base_url = base_url.strip() or None
    if api_key:
        row.api_key_encrypted = secrets.encrypt(settings, api_key.strip())
    elif clear_key:
        row.api_key_encrypted = None
    if prices is not None:
        row.prices = dict(prices) or None
    if timeout_s is not None:
        if not 0 < timeout_s <= 600:
            raise ValidationFailed("timeout_s: between 0 and 600 seconds")
        row.timeout_s = float(timeout_s)
    if position is not None:
        row.position = position
    row.updated_at = datetime.now(UTC)
    session.flush()
    return row


def remove_provider(session: Session, workspace: Workspace, *, name: str) -> None:
    row = _provider_row(session, workspace, _check_name(name, offline=False))
    if row is None:
        raise NotFoundError(f"no provider {name!r} in this workspace", code="provider.not_found")
    session.delete(row)
    settings_row = LLMRepository(session, workspace).settings()
    if settings_row is not None and settings_row.default_provider == row.name:
        settings_row.default_provider = None
    session.flush()


def llm_settings(session: Session, workspace: Workspace) -> LLMSettings:
    """The workspace's writing settings; the defaults (not stored) while it has none, so that
    reading them writes nothing."""
    return LLMRepository(session, workspace).settings() or LLMSettings(workspace_id=workspace.id)


def update_llm_settings(
    session: Session,
    workspace: Workspace,
    *,
    default_provider: str | None = None,
    clear_default: bool = False,
    monthly_budget_usd: float | None = None,
    monthly_budget_tokens: int | None = None,
    clear_budget: bool = False,
) -> LLMSettings:
    repo = LLMRepository(session, workspace)
    row = repo.settings()
    if row is None:
        row = LLMSettings(workspace_id=workspace.id)
        repo.add(row)
    if default_provider is not None:
        row.default_provider = _check_name(default_provider)
    elif clear_default:
        row.default_provider = None
    if clear_budget:
        row.monthly_budget_usd = row.monthly_budget_tokens = None
    if monthly_budget_usd is not None:
        if monthly_budget_usd < 0:
            raise ValidationFailed("monthly_budget_usd: expected a non-negative amount")
        row.monthly_budget_usd = monthly_budget_usd
    if monthly_budget_tokens is not None:
        if monthly_budget_tokens < 0:
            raise ValidationFailed("monthly_budget_tokens: expected a non-negative count")
        row.monthly_budget_tokens = monthly_budget_tokens
    row.updated_at = datetime.now(UTC)
    session.flush()
    return row


# -- usage ---------------------------------------------------------------------------------


def _month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def usage_since(
    session: Session,
    workspace: Workspace,
    *,
    since: datetime | None = None,
    job_id: str | None = None,
) -> Usage:
    """What the workspace's calls cost since ``since`` (default: this calendar month, UTC),
    or one job's calls."""
    calls, tokens_in, tokens_out, cost = LLMRepository(session, workspace).usage_totals(
        since=None if job_id is not None else (since or _month_start()), job_id=job_id
    )
    return Usage(calls, tokens_in, tokens_out, round(cost, 6))


def record_usage(
    session: Session,
    workspace: Workspace,
    *,
    purpose: str,
    provider: str,
    model: str,
    usage: Usage,
    job_id: str | None = None,
) -> None:
    if usage.calls == 0:
        return
    LLMRepository(session, workspace).add(
        LLMUsage(
            id=new_id("use"),
            workspace_id=workspace.id,
            job_id=job_id,
            purpose=purpose,
            provider=provider,
            model=model,
            calls=usage.calls,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=usage.cost_usd,
        )
    )
    session.flush()


# -- choosing the writer -------------------------------------------------------------------


@dataclass(slots=True)
class Resolved:
    """The writer for one command or request, and what it spent (filled as calls are made)."""

    choice: WriterChoice
    spent: dict[tuple[str, str], Usage]
    closers: list[Any]

    async def aclose(self) -> None:
        for provider in self.closers:
            await provider.aclose()


def chosen_writer(
    session: Session,
    workspace: Workspace,
    *,
    provider: str | None = None,
    model: str | None = None,
    preferred: Any = None,
) -> tuple[str, str | None]:
    """Which writer and model the contract picks (module docstring): the name, and the model
    when one was asked for or configured (None: the provider's default, or offline)."""
    if provider is not None:
        name = _check_name(provider)
    elif preferred is not None and getattr(preferred, "name", None):
        name = _check_name(preferred.name)
        model = model or getattr(preferred, "model", None)
    else:
        name = llm_settings(session, workspace).default_provider or "offline"
    if name == "offline":
        return name, None
    row = _provider_row(session, workspace, name)
    return name, model or (row.model if row else None) or DEFAULT_MODELS[name]


def resolve_writer(
    session: Session,
    workspace: Workspace,
    *,
    settings: Settings,
    env: ProviderEnv,
    provider: str | None = None,
    model: str | None = None,
    preferred: Any = None,
    budget_usd: float | None = None,
    cache_dir: Any = None,
) -> Resolved:
    """The writer the contract picks (module docstring). ``preferred``: a brief's or spec's
    ``provider:`` section. Raises ``provider.unavailable`` (exit 2 / 503) naming why no
    provider can be used."""
    from brandloom.providers.llm.reliability import (
        Budget,
        ChainEntry,
        DirectoryResponseCache,
        MemoryResponseCache,
        ProviderChain,
    )

    configured = llm_settings(session, workspace)
    name, model = chosen_writer(
        session, workspace, provider=provider, model=model, preferred=preferred
    )
    if name == "offline":
        return Resolved(WriterChoice("offline"), {}, [])
    rows = {row.name: row for row in list_providers(session, workspace)}
    order = [name] + [n for n in rows if n != name]
    entries = []
    reasons: list[str] = []
    closers: list[Any] = []
    for position, candidate in enumerate(order):
        row = rows.get(candidate)
        key = (
            secrets.decrypt(settings, row.api_key_encrypted)
            if row and row.api_key_encrypted
            else None
        )
        key = key or env.key(candidate)
        base_url = (row.base_url if row else None) or env.base_url(candidate)
        if not key and not base_url:
            reasons.append(
                f"{candidate}: no API key (set {_ENV_KEYS[candidate]} or store one with "
                f"`brandloom provider set {candidate} --api-key-env VAR`)"
            )
            continue
        chosen_model = (model if position == 0 else None) or (row.model if row else None)
        chosen_model = chosen_model or DEFAULT_MODELS[candidate]
        client = _client(candidate, key, base_url, chosen_model, row)
        closers.append(client)
        entries.append(ChainEntry(client, chosen_model))
    if not entries:
        raise ProviderUnavailable("no provider can be used: " + "; ".join(reasons))
    limit_usd: float | None = budget_usd
    limit_tokens: int | None = None
    spent_month = usage_since(session, workspace)
    if configured.monthly_budget_usd is not None:
        left = configured.monthly_budget_usd - (spent_month.cost_usd or 0.0)
        limit_usd = left if limit_usd is None else min(limit_usd, left)
    if configured.monthly_budget_tokens is not None:
        limit_tokens = configured.monthly_budget_tokens - (
            spent_month.input_tokens + spent_month.output_tokens
        )
    if (limit_usd is not None and limit_usd <= 0) or (
        limit_tokens is not None and limit_tokens <= 0
    ):
        raise ProviderUnavailable(
            "the LLM budget is exhausted (this month's workspace budget or this call's); raise it "
            "with `brandloom provider budget` or use --provider offline",
            code="provider.budget_exceeded",
        )
    budget = Budget(limit_usd=limit_usd, limit_tokens=limit_tokens)
    cache = (
        DirectoryResponseCache(cache_dir) if cache_dir is not None else MemoryResponseCache(1_000)
    )
    spent: dict[tuple[str, str], Usage] = {}

    def on_usage(entry: Any, usage: Usage) -> None:
        key = (entry.provider.name, entry.model)
        spent[key] = spent.get(key, Usage()) + usage

    chain = ProviderChain(entries, budget=budget, cache=cache, on_usage=on_usage)
    return Resolved(
        WriterChoice("llm", chain=chain, provider=entries[0].provider.name, model=entries[0].model),
        spent,
        closers,
    )


def _client(
    name: str, key: str | None, base_url: str | None, model: str, row: LLMProvider | None
) -> Any:
    timeout = row.timeout_s if row is not None else 60.0
    prices = row.prices if row is not None else None
    if name == "openai":
        from brandloom.providers.llm.openai_compat import OpenAIProvider

        return OpenAIProvider(
            api_key=key, base_url=base_url, default_model=model, timeout=timeout, prices=prices
        )
    from brandloom.providers.llm.anthropic import AnthropicProvider

    return AnthropicProvider(
        api_key=key, base_url=base_url, default_model=model, timeout=timeout, prices=prices
    )


# -- brands --------------------------------------------------------------------------------


_TOKEN = re.compile(r"\w+", re.UNICODE)


def _similar(texts: Sequence[Any], query: str, *, channel: str, language: str, k: int) -> list[str]:
    """The ``k`` library texts most like ``query`` (BM25 over words), same channel and
    language preferred."""
    docs = [[w.casefold() for w in _TOKEN.findall(t.text)] for t in texts]
    if not docs:
        return []
    terms = {w.casefold() for w in _TOKEN.findall(query)}
    df = Counter(w for doc in docs for w in set(doc))
    n = len(docs)
    avg = sum(len(d) for d in docs) / n or 1.0
    scores: list[tuple[float, int]] = []
    for i, (row, doc) in enumerate(zip(texts, docs, strict=True)):
        tf = Counter(doc)
        score = 0.0
        for term in terms & tf.keys():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            f = tf[term]
            score += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * len(doc) / avg))
        if row.channel and row.channel == channel.split(":", 1)[0]:
            score += 0.5
        if row.locale and language_of(row.locale) == language:
            score += 1.0
        scores.append((score, i))
    scores.sort(key=lambda s: (-s[0], s[1]))
    return [texts[i].text[:1_000] for _, i in scores[:k]]


def brand_context(
    session: Session, workspace: Workspace, *, name: str, brief: Brief
) -> BrandContext:
    """The brand as the writer and the scorer need it: guidelines, voice (when trained), and
    the library texts most like the brief as examples. ``brand.not_found`` when missing."""
    from brandloom.analysis.brand_rules import BrandLinter
    from brandloom.analysis.guidelines import Guidelines
    from brandloom.analysis.voice import VoiceProfile
    from brandloom.brands import service as brands
    from brandloom.brands.repository import BrandRepository

    brand = brands.find_brand(session, workspace, name=name)
    guidelines: Guidelines | None = None
    if brand.guidelines_version is not None:
        guidelines = brands.guidelines_of(session, workspace, brand=brand)
    repo = BrandRepository(session, workspace)
    voice_row = repo.current_voice(brand.id, with_profile=True)
    voice = VoiceProfile.from_bytes(voice_row.profile) if voice_row is not None else None
    library, _ = repo.texts_page(brand.id, cursor=None, limit=_LIBRARY_SCAN)
    query = " ".join([brief.product, brief.offer or "", *brief.key_messages, brief.audience or ""])
    languages = {language_of(loc) for loc in brief.locales}
    examples: list[str] = []
    for language in sorted(languages):
        for text in _similar(
            library, query, channel=brief.channels[0], language=language, k=FEW_SHOT
        ):
            if text not in examples:
                examples.append(text)
    g = guidelines
    notes = BrandNotes(
        name=(g.brand_name if g and g.brand_name else brand.name),
        tone=tuple(g.tone) if g else (),
        do=tuple(g.do_) if g else (),
        dont=tuple(g.dont) if g else (),
        examples=tuple(examples[: FEW_SHOT * 2]),
        reading_grade=g.reading_level.max_grade if g else None,
        emoji=g.emoji if g else None,
        exclamation=g.exclamation if g else None,
    )
    banned = {lang: tuple(g.terms_for(lang)) for lang in languages} if g else {}
    glossary = (
        {
            lang: {avoid: entry.use for avoid, entry in g.glossary_for(lang).items()}
            for lang in languages
        }
        if g
        else {}
    )
    formality = {k: v for k, v in (g.formality if g else {}).items() if v != "none"}
    disclaimers = dict(g.required_disclaimers) if g else {}
    return BrandContext(
        notes=notes,
        judge=BrandJudge(
            name=notes.name,
            voice=voice,
            linter=BrandLinter(g) if g else None,
        ),
        formality=formality,
        banned=banned,
        glossary=glossary,
        disclaimers={k: tuple(v) for k, v in disclaimers.items()},
        guidelines_version=brand.guidelines_version,
        voice_id=voice_row.id if voice_row is not None else None,
    )


# -- writing -------------------------------------------------------------------------------


def write(
    session: Session,
    workspace: Workspace,
    *,
    settings: Settings,
    env: ProviderEnv,
    brief: Brief,
    provider: str | None = None,
    model: str | None = None,
    n: int | None = None,
    budget_usd: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Candidates for every channel and locale of ``brief`` (``generation.writer``), with the
    brand loaded and the calls' usage recorded against the workspace."""
    brand = (
        brand_context(session, workspace, name=brief.brand, brief=brief) if brief.brand else None
    )
    resolved = resolve_writer(
        session,
        workspace,
        settings=settings,
        env=env,
        provider=provider,
        model=model,
        preferred=brief.provider,
        budget_usd=budget_usd,
        cache_dir=settings.data_dir / "llm-cache",
    )

    from brandloom.prediction.service import predictor as engagement

    model = engagement(session, workspace)

    async def run() -> dict[str, Any]:
        try:
            return await write_copy(
                brief, choice=resolved.choice, brand=brand, n=n, seed=seed, predictor=model
            )
        finally:
            await resolved.aclose()

    try:
        result = asyncio.run(run())
    finally:
        for (provider_name, model_name), usage in resolved.spent.items():
            record_usage(
                session,
                workspace,
                purpose="write",
                provider=provider_name,
                model=model_name,
                usage=usage,
            )
    if brand is not None:
        result["brand"] = {
            "name": brand.notes.name,
            "guidelines_version": brand.guidelines_version,
            "voice_id": brand.voice_id,
        }
    return result


# -- transcreation -------------------------------------------------------------------------

if TYPE_CHECKING:
    from brandloom.generation.localize import Localized


def localize_catalogs(
    session: Session,
    workspace: Workspace,
    *,
    settings: Settings,
    env: ProviderEnv,
    messages: Mapping[str, Mapping[str, Any]],
    to: Sequence[str],
    source: str | None = None,
    default_locale: str | None = None,
    brand: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    preferred: Any = None,
    origins: Mapping[str, str] | None = None,
) -> Localized:
    """A template's missing catalogs (``to``) transcreated from its source catalog
    (``generation.localize``) with the brand's glossary and formality; the calls' usage is
    recorded against the workspace (purpose ``localize``). The offline writer cannot
    translate: ``provider.unavailable`` (exit 2 / 503) saying how to choose an LLM."""
    from brandloom.generation import localize as transcreation

    # a bad request is told before any provider or brand is looked at
    source_tag = transcreation.choose_source(messages, source=source, default_locale=default_locale)
    targets, _ = transcreation.plan_targets(messages, to)
    resolved = resolve_writer(
        session,
        workspace,
        settings=settings,
        env=env,
        provider=provider,
        model=model,
        preferred=preferred,
        # no answers kept on disk: a rerun after a failed locale must ask the model again
        cache_dir=None,
    )
    if resolved.choice.kind == "offline":
        raise transcreation.OfflineCannotTranslate(transcreation.OFFLINE_MESSAGE)
    context: BrandContext | None = None
    if brand:
        # the brief only steers which library texts are shown as examples of the voice
        sample = " ".join(
            m.text or " ".join(m.forms.values())
            for m in transcreation.flatten(messages[source_tag]).values()
        )
        about = Brief(
            product=(" ".join(sample.split()) or "message catalog")[:2_000],
            locales=targets or ["en-US"],
            channels=["email"],
        )
        context = brand_context(session, workspace, name=brand, brief=about)

    async def run() -> Localized:
        try:
            return await transcreation.localize(
                messages,
                to=to,
                choice=resolved.choice,
                source=source_tag,
                brand=context,
                origins=origins,
            )
        finally:
            await resolved.aclose()

    try:
        return asyncio.run(run())
    finally:
        for (provider_name, model_name), usage in resolved.spent.items():
            record_usage(
                session,
                workspace,
                purpose="localize",
                provider=provider_name,
                model=model_name,
                usage=usage,
            )
