"""Stored templates: save (deduplicated by content), load, compile with variant overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from brandloom.cache import Cache
from brandloom.cache.session import attach, set_after_commit
from brandloom.errors import NotFoundError
from brandloom.kit.hashing import sha256_hex
from brandloom.kit.ids import new_id
from brandloom.templates.assets import asset_digests, check_assets, decode_assets, encode_assets
from brandloom.templates.engine import (
    CompiledTemplate,
    TemplateSource,
    VariableUse,
    compile_template,
)
from brandloom.templates.messages import (
    Catalogs,
    MessagesError,
    locale_key,
    message_keys,
    no_catalogs_message,
    used_keys,
)
from brandloom.templates.models import Template
from brandloom.templates.repository import TemplateRepository
from brandloom.workspaces.models import Workspace

# Seconds a stored template may be served from the cache (the API passes its setting).
DEFAULT_TEMPLATE_TTL = 300


def content_digest(
    engine: str,
    parts: Mapping[str, str],
    docx: bytes | None,
    messages: Mapping[str, Any] | None = None,
    locales: Mapping[str, Any] | None = None,
    assets: Mapping[str, bytes] | None = None,
) -> str:
    payload: dict[str, Any] = {
        "engine": engine,
        "parts": dict(sorted(parts.items())),
        "docx": sha256_hex(docx) if docx is not None else None,
    }
    if not messages and not locales and not assets:
        # a template without them keeps the digest it always had
        return sha256_hex(orjson.dumps(payload))
    payload["messages"] = messages or None
    payload["locales"] = locales or None
    if assets:
        payload["assets"] = asset_digests(assets)
    return sha256_hex(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))


def template_assets(template: Template) -> dict[str, bytes]:
    """A stored template's assets (file name -> bytes); reading them loads the column."""
    return decode_assets(template.assets)


def save_template(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    engine: str,
    parts: Mapping[str, str],
    docx: bytes | None = None,
    messages: Mapping[str, Mapping[str, Any]] | None = None,
    locales: Mapping[str, Mapping[str, str]] | None = None,
    assets: Mapping[str, bytes] | None = None,
    cache: Cache | None = None,
) -> Template:
    """Compile-check and store a template; identical content in the workspace is reused.

    ``messages`` (locale -> catalog) and ``locales`` (locale -> part overrides) are stored
    with it, after :func:`check_languages`; so are ``assets`` (file name -> bytes, the images
    its ``typst`` part places), after ``templates.assets.check_assets``.

    A ``cache`` keeps the compiled parts for the jobs and previews that follow in this process.
    A Word source (``docx``) is stored as given: the documents flows, which own the Word
    format, compile it before they save it (``documents.flows.prepare_template``).
    """
    compile_template(TemplateSource(parts=dict(parts), engine=engine), cache=cache)
    check_languages(engine=engine, parts=parts, messages=messages, locales=locales, cache=cache)
    stored_messages = {loc: dict(m) for loc, m in (messages or {}).items()} or None
    stored_locales = {loc: dict(p) for loc, p in (locales or {}).items()} or None
    checked_assets = check_assets(assets)
    digest = content_digest(engine, parts, docx, stored_messages, stored_locales, checked_assets)
    repo = TemplateRepository(session, workspace)
    existing = repo.find_by_content(digest)
    if existing is not None:
        return existing
    return repo.add(
        Template(
            id=new_id("tpl"),
            name=name,
            engine=engine,
            parts=dict(parts),
            messages=stored_messages,
            locales=stored_locales,
            docx=docx,
            assets=encode_assets(checked_assets),
            content_sha256=digest,
        )
    )


def list_templates(
    session: Session,
    workspace: Workspace,
    *,
    cursor: str | None = None,
    limit: int = 100,
    name: str | None = None,
) -> tuple[list[Template], str | None]:
    """The workspace's templates, newest first, and the cursor of the next page."""
    return TemplateRepository(session, workspace).page(cursor=cursor, limit=limit, name=name)


@dataclass(frozen=True, slots=True)
class TemplateCheck:
    """What validating a template found: its variables and what deserves a second look."""

    variables: list[VariableUse]  # first use of each variable, in part order
    required: frozenset[str]  # names used somewhere without a fallback
    warnings: list[tuple[str, str]]  # (code, message)
    catalogs: Catalogs | None = None  # the message catalogs, checked


def validate_template(
    *,
    engine: str,
    parts: Mapping[str, str],
    messages: Mapping[str, Mapping[str, Any]] | None = None,
    locales: Mapping[str, Mapping[str, str]] | None = None,
    cache: Cache | None = None,
) -> TemplateCheck:
    """Compile every part (and every locale's overrides) as a job would; raises the compile
    error (part, line, column) or the catalogs' problems (locale, key, file).

    Nothing is stored. Warnings name what compiles but will likely disappoint at send time.
    """
    compiled = compile_template(TemplateSource(parts=dict(parts), engine=engine), cache=cache)
    catalogs = check_languages(
        engine=engine, parts=parts, messages=messages, locales=locales, cache=cache
    )
    first: dict[str, VariableUse] = {}
    for use in compiled.variables:
        first.setdefault(use.name, use)
    return TemplateCheck(
        variables=list(first.values()),
        required=frozenset(compiled.required_variables()),
        warnings=template_warnings(parts, derived=compiled.derived),
        catalogs=catalogs,
    )


def template_warnings(
    parts: Mapping[str, str], *, derived: frozenset[str]
) -> list[tuple[str, str]]:
    warnings: list[tuple[str, str]] = []
    if "html" in parts and "subject" not in parts:
        warnings.append(
            ("template.no_subject", "html without a subject: e-mail outputs (eml) need one")
        )
    if "html" in parts and "unsubscribe" not in parts["html"].lower():
        warnings.append(
            (
                "template.no_unsubscribe",
                "html has no unsubscribe link: marketing e-mail needs one (for example "
                '<a href="https://example.com/unsubscribe?c={{ key | url_encode }}">)',
            )
        )
    for part in sorted(derived):
        warnings.append(
            (
                f"template.derived_{part}",
                f"{part} is derived from html (give template.{part} to write it)",
            )
        )
    return warnings


def template_cache_key(workspace_id: str, template_id: str) -> str:
    return f"template:{workspace_id}:{template_id}"


def get_template(
    session: Session,
    workspace: Workspace | str,
    *,
    template_id: str,
    cache: Cache | None = None,
    ttl: int = DEFAULT_TEMPLATE_TTL,
) -> Template:
    """A template of the workspace; ``NotFoundError`` when the workspace has no such template.

    With a ``cache``, the row (without its Word document and assets, which load on first
    access) is served from the cache for ``ttl`` seconds. Stored templates never change: saving
    different content creates a new template, so a cached row can only be stale if it was
    deleted.
    """
    ws_id = workspace if isinstance(workspace, str) else workspace.id
    key = template_cache_key(ws_id, template_id)
    if cache is not None:
        cached = cache.get(key)
        hit = _cached_template(session, cached, ws_id, template_id) if cached else None
        if hit is not None:
            return hit
    template = TemplateRepository(session, ws_id).get(template_id)
    if template is None:
        raise NotFoundError(f"template '{template_id}' not found", code="template.not_found")
    if cache is not None:
        entry = {
            "id": template.id,
            "workspace_id": template.workspace_id,
            "name": template.name,
            "engine": template.engine,
            "parts": template.parts,
            "messages": template.messages,
            "locales": template.locales,
            "content_sha256": template.content_sha256,
            "created_at": template.created_at.isoformat(),
        }
        set_after_commit(session, cache, key, orjson.dumps(entry), ttl)
    return template


def _cached_template(
    session: Session, cached: bytes, workspace_id: str, template_id: str
) -> Template | None:
    """The template of a cache entry, attached to ``session``; ``None`` if it does not fit."""
    try:
        entry = orjson.loads(cached)
        parts = entry["parts"]
        if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
            return None
        template = Template(
            id=str(entry["id"]),
            workspace_id=str(entry["workspace_id"]),
            name=str(entry["name"]),
            engine=str(entry["engine"]),
            parts={str(k): v for k, v in parts.items()},
            messages=entry.get("messages"),
            locales=entry.get("locales"),
            content_sha256=str(entry["content_sha256"]),
            created_at=datetime.fromisoformat(entry["created_at"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if template.id != template_id or template.workspace_id != workspace_id:
        return None
    return attach(session, template)


def check_languages(
    *,
    engine: str,
    parts: Mapping[str, str],
    messages: Mapping[str, Mapping[str, Any]] | None,
    locales: Mapping[str, Mapping[str, str]] | None,
    cache: Cache | None = None,
) -> Catalogs | None:
    """Check a template's languages as stored (before any job picks variants): every locale's
    part overrides compile, every catalog holds every key the parts (and overrides) read, and
    a key's translations use the same placeholders. Raises ``MessagesError`` naming the
    locale, key and file; returns the compiled catalogs (None without messages)."""
    # compiled for their errors only: a job compiles them per variant
    compile_localized(
        engine=engine,
        parts=parts,
        variants={},
        locales=locales or {},
        cache=cache,
    )
    sources = [parts, *({**parts, **o} for o in (locales or {}).values())]
    if not messages:
        used = {key for source in sources for text in source.values() for key in message_keys(text)}
        if used:
            raise MessagesError(no_catalogs_message(used))
        return None
    catalogs = Catalogs(
        messages,
        default_locale="en",
        origins=dict.fromkeys(messages, "inline"),
    )
    catalogs.check(set().union(*(used_keys(source, catalogs) for source in sources)))
    return catalogs


def compile_localized(
    *,
    engine: str,
    parts: Mapping[str, str],
    variants: Mapping[str, Mapping[str, str]],
    locales: Mapping[str, Mapping[str, str]],
    origins: Mapping[str, str] | None = None,
    cache: Cache | None = None,
) -> dict[tuple[str | None, str], CompiledTemplate]:
    """One compiled template per (variant, locale) with part overrides for that locale
    (``template.locales``). Precedence: variant part > locale override > template part."""
    compiled: dict[tuple[str | None, str], CompiledTemplate] = {}
    names: list[str | None] = list(variants) or [None]
    for tag, overrides in locales.items():
        locale = locale_key(tag)
        for name in names:
            own = variants.get(name, {}) if name is not None else {}
            merged = {**parts, **overrides, **own}
            merged_origins = {
                **(origins or {}),
                **{p: f"locales.{tag}" for p in overrides},
                **{p: f"variant {name}" for p in own},
            }
            compiled[(name, locale)] = compile_template(
                TemplateSource(merged, engine, merged_origins), cache=cache
            )
    return compiled


def compile_variants(
    *,
    engine: str,
    parts: Mapping[str, str],
    variants: Mapping[str, Mapping[str, str]],
    origins: Mapping[str, str] | None = None,
    cache: Cache | None = None,
) -> dict[str | None, CompiledTemplate]:
    """One compiled template per variant (``None`` when there are no variants).

    With a ``cache``, parts compiled before in this process (by another variant, job or
    preview) are not compiled again; see :func:`~brandloom.templates.engine.compile_template`.
    """
    if not variants:
        source = TemplateSource(dict(parts), engine, dict(origins or {}))
        return {None: compile_template(source, cache=cache)}
    compiled: dict[str | None, CompiledTemplate] = {}
    for name, overrides in variants.items():
        merged = {**parts, **overrides}
        merged_origins = {**(origins or {}), **{p: f"variant {name}" for p in overrides}}
        compiled[name] = compile_template(
            TemplateSource(merged, engine, merged_origins), cache=cache
        )
    return compiled
