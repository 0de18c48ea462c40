"""Stored templates: save (deduplicated by content), load, compile with variant overrides."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from brandloom.documents.formats.docx import DocxTemplate
from brandloom.errors import NotFoundError
from brandloom.kit.hashing import sha256_hex
from brandloom.kit.ids import new_id
from brandloom.templates._jinja import environment as jinja_environment
from brandloom.templates.engine import CompiledTemplate, TemplateSource, compile_template
from brandloom.templates.models import Template
from brandloom.workspaces.models import Workspace


def content_digest(engine: str, parts: Mapping[str, str], docx: bytes | None) -> str:
    payload = {
        "engine": engine,
        "parts": dict(sorted(parts.items())),
        "docx": sha256_hex(docx) if docx is not None else None,
    }
    return sha256_hex(orjson.dumps(payload))


def save_template(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    engine: str,
    parts: Mapping[str, str],
    docx: bytes | None = None,
) -> Template:
    """Compile-check and store a template; identical content in the workspace is reused."""
    compile_template(TemplateSource(parts=dict(parts), engine=engine))
    if docx is not None:
        compile_docx(docx)
    digest = content_digest(engine, parts, docx)
    existing = session.scalar(
        select(Template).where(
            Template.workspace_id == workspace.id, Template.content_sha256 == digest
        )
    )
    if existing is not None:
        return existing
    template = Template(
        id=new_id("tpl"),
        workspace_id=workspace.id,
        name=name,
        engine=engine,
        parts=dict(parts),
        docx=docx,
        content_sha256=digest,
    )
    session.add(template)
    session.flush()
    return template


def get_template(session: Session, workspace: Workspace | str, *, template_id: str) -> Template:
    ws_id = workspace if isinstance(workspace, str) else workspace.id
    template = session.scalar(
        select(Template).where(Template.id == template_id, Template.workspace_id == ws_id)
    )
    if template is None:
        raise NotFoundError(f"template '{template_id}' not found", code="template.not_found")
    return template


def compile_variants(
    *,
    engine: str,
    parts: Mapping[str, str],
    variants: Mapping[str, Mapping[str, str]],
    origins: Mapping[str, str] | None = None,
) -> dict[str | None, CompiledTemplate]:
    """One compiled template per variant (``None`` when there are no variants)."""
    if not variants:
        return {None: compile_template(TemplateSource(dict(parts), engine, dict(origins or {})))}
    compiled: dict[str | None, CompiledTemplate] = {}
    for name, overrides in variants.items():
        merged = {**parts, **overrides}
        merged_origins = {**(origins or {}), **{p: f"variant {name}" for p in overrides}}
        compiled[name] = compile_template(TemplateSource(merged, engine, merged_origins))
    return compiled


def compile_docx(source: bytes, *, origin: str = "template.docx") -> DocxTemplate:
    """Compile a Word template with the same sandbox as every other part."""
    from brandloom.db.base import utcnow

    return DocxTemplate(source, env=jinja_environment("raw"), creation_date=utcnow(), origin=origin)
