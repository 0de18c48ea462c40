"""Compile templates once (validated, analysed, sandboxed), render them fast, many times.

A template is a set of named text parts (see :data:`PART_NAMES`) in one engine, ``jinja``
(default) or ``liquid``. :func:`compile_template` parses every part, rejects what the
sandbox forbids, records every top-level variable use, derives ``text``/``markdown`` from
``html`` when they are not given, and returns a :class:`CompiledTemplate` whose
:meth:`~CompiledTemplate.render` does no per-document work beyond the engine itself.

Escaping per part: ``html`` is HTML-autoescaped; ``markdown`` and ``pdf`` Markdown-escape
expression output; ``typst`` keeps every expression output apart from the template text (see
:mod:`brandloom.templates.slots`), so its renderer passes values as data; everything else is
raw text. Contact data is never re-rendered.

Template text embedded in a document of another format (the tags of a Word template) is
compiled with :func:`compile_fragment`: the same sandbox, checks and hardening as a part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

from brandloom import __version__
from brandloom.cache import Cache, LocalCache
from brandloom.kit.hashing import sha256_hex
from brandloom.templates import _jinja, _liquid
from brandloom.templates._jinja import MAX_OUTPUT, JinjaFragment, compile_fragment
from brandloom.templates._types import (
    ENGINES,
    PART_ESCAPING,
    PART_NAMES,
    Rendered,
    TemplateSource,
    VariableUse,
)
from brandloom.templates.derive import html_to_markdown_template, html_to_text_template
from brandloom.templates.errors import (
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TemplateVariableError,
)

__all__ = [
    "ENGINES",
    "MAX_OUTPUT",
    "PART_NAMES",
    "CompiledTemplate",
    "JinjaFragment",
    "Rendered",
    "TemplateError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSource",
    "TemplateSyntaxError",
    "TemplateVariableError",
    "VariableUse",
    "check_variables",
    "compile_fragment",
    "compile_template",
]

_PART_ORDER = {name: i for i, name in enumerate(PART_NAMES)}
_MAX_PLANS = 64
_EMPTY_CONTEXT: Mapping[str, Any] = MappingProxyType({})
# Derived text/markdown depends on the HTML and on the derivation code (the brandloom version).
_DERIVE_SALT = f"brandloom {__version__}\0".encode()


class _PartRenderer(Protocol):
    def render(
        self, data: Mapping[str, Any], sink: list[str], unparsed: list[tuple[str, str]]
    ) -> str: ...


class CompiledTemplate:
    """A compiled, analysed template. Immutable and safe to share between threads."""

    __slots__ = (
        "_all",
        "_html_chunks",
        "_plans",
        "_renderers",
        "_required",
        "derived",
        "engine",
        "parts",
        "source",
        "variables",
    )

    def __init__(
        self,
        source: TemplateSource,
        renderers: dict[str, _PartRenderer],
        derived: frozenset[str],
        variables: tuple[VariableUse, ...],
    ) -> None:
        self.source = source
        self.engine = source.engine
        self.parts: tuple[str, ...] = tuple(sorted(renderers, key=_PART_ORDER.__getitem__))
        self.derived = derived
        self.variables = variables
        self._renderers = renderers
        self._all = tuple((name, renderers[name].render) for name in self.parts)
        # Jinja tells template text from expression output in the HTML (see Rendered).
        html = renderers.get("html")
        self._html_chunks: (
            Callable[[Mapping[str, Any], list[str], list[tuple[str, str]]], tuple[str, list[str]]]
            | None
        )
        self._html_chunks = html.render_chunks if isinstance(html, _jinja.JinjaPart) else None
        self._plans: dict[tuple[str, ...], tuple[tuple[str, Any], ...]] = {}
        required: dict[str, VariableUse] = {}
        for use in variables:
            if not use.has_fallback and use.name not in required:
                required[use.name] = use
        self._required = required

    def __repr__(self) -> str:
        return f"CompiledTemplate(engine={self.engine!r}, parts={self.parts!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled engine code does not pickle; recompiling from the source is cheap.
        src = self.source
        return (_recompile, (src.engine, dict(src.parts), dict(src.origins)))

    def required_variables(self) -> dict[str, VariableUse]:
        """Names used somewhere without a fallback -> their first such use."""
        return dict(self._required)

    def render(self, context: Mapping[str, Any], parts: Iterable[str] | None = None) -> Rendered:
        """Render ``parts`` (all when ``None``) for one document.

        Requested parts this template does not have are skipped; unknown part names raise
        :class:`TemplateError`. Raises :class:`TemplateRenderError` when a part fails
        (sandbox violation, resource limit, e.g. arithmetic on a missing value).
        """
        if parts is None:
            plan = self._all
        else:
            key = parts if isinstance(parts, tuple) else tuple(parts)
            cached = self._plans.get(key)
            plan = cached if cached is not None else self._plan(key)
        data = _EMPTY_CONTEXT if context is None else context
        sink: list[str] = []
        unparsed: list[tuple[str, str]] = []
        out: dict[str, str] = {}
        chunks = None
        html_chunks = self._html_chunks
        for name, render in plan:
            if name == "html" and html_chunks is not None:
                out[name], chunks = html_chunks(data, sink, unparsed)
            else:
                out[name] = render(data, sink, unparsed)
        return Rendered(out, sink, unparsed, chunks)

    def _plan(self, key: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
        unknown = [name for name in key if name not in _PART_ORDER]
        if unknown:
            raise TemplateError(
                f"unknown template part(s): {', '.join(map(repr, unknown))}",
                code="template.unknown_part",
            )
        wanted = set(key)
        plan = tuple(item for item in self._all if item[0] in wanted)
        if len(self._plans) < _MAX_PLANS:
            self._plans[key] = plan
        return plan


def _recompile(engine: str, parts: dict[str, str], origins: dict[str, str]) -> CompiledTemplate:
    return compile_template(TemplateSource(parts, engine, origins))


# Compiled code is executable: it is only ever kept in this process's memory. Callers that hold
# a shared cache (Redis) get this process-wide one for code instead; workers that hold no cache
# can pass it directly.
PROCESS_CODE_CACHE = LocalCache(max_entries=4096, max_bytes=64 * 1024 * 1024)


def _code_cache(cache: Cache | None) -> LocalCache | None:
    if cache is None:
        return None
    return cache if isinstance(cache, LocalCache) else PROCESS_CODE_CACHE


def _compile_part(
    engine: str, part: str, text: str, origin: str | None, cache: LocalCache | None
) -> tuple[_PartRenderer, list[VariableUse]]:
    escaping = PART_ESCAPING[part]
    if engine == "liquid":
        return _liquid.compile_part(part, text, escaping, origin)
    return _jinja.compile_part(part, text, escaping, origin, cache=cache)


def _derive(derive: Callable[[str], str], kind: str, html: str, cache: LocalCache | None) -> str:
    """``derive(html)``, remembered in ``cache`` by a digest of its input and the version."""
    if cache is None:
        return derive(html)
    digest = sha256_hex(_DERIVE_SALT + html.encode("utf-8", "surrogatepass"))
    key = f"template-derived:{kind}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached.decode("utf-8", "surrogatepass")
    text = derive(html)
    cache.set(key, text.encode("utf-8", "surrogatepass"), _jinja.CODE_TTL)
    return text


def compile_template(source: TemplateSource, *, cache: Cache | None = None) -> CompiledTemplate:
    """Compile every part; raises :class:`TemplateSyntaxError` (or its security subclass).

    With a ``cache``, parts that compiled before in this process skip parsing and code
    generation (Jinja), and text/markdown derived from the same HTML are not derived again.
    The result renders exactly as a fresh compile. Compiled code is kept only in process
    memory: a :class:`~brandloom.cache.LocalCache` given here is used, any other cache (Redis,
    shared with other machines) is replaced by a process-wide ``LocalCache``.
    """
    code_cache = _code_cache(cache)
    engine = source.engine
    if engine not in ENGINES:
        raise TemplateError(
            f"unknown template engine {engine!r} (use one of: {', '.join(ENGINES)})",
            code="template.unknown_engine",
        )
    unknown = [name for name in source.parts if name not in _PART_ORDER]
    if unknown:
        raise TemplateError(
            f"unknown template part(s): {', '.join(map(repr, unknown))}; "
            f"parts are {', '.join(PART_NAMES)}",
            code="template.unknown_part",
        )
    if not source.parts:
        raise TemplateError("a template needs at least one part", code="template.empty")
    renderers: dict[str, _PartRenderer] = {}
    variables: list[VariableUse] = []
    for part in sorted(source.parts, key=_PART_ORDER.__getitem__):
        text = source.parts[part]
        if not isinstance(text, str):
            raise TemplateError(f"template part {part!r} must be text", code="template.invalid")
        origin = source.origins.get(part) or "inline"
        renderer, uses = _compile_part(engine, part, text, origin, code_cache)
        renderers[part] = renderer
        variables.extend(uses)

    derived: set[str] = set()
    if "html" in source.parts:
        html = source.parts["html"]
        for part, derive in (
            ("text", html_to_text_template),
            ("markdown", html_to_markdown_template),
        ):
            if part in source.parts:
                continue
            origin = f"derived from html ({source.origins.get('html') or 'inline'})"
            derived_source = _derive(derive, part, html, code_cache)
            renderers[part], _ = _compile_part(engine, part, derived_source, origin, code_cache)
            derived.add(part)
    return CompiledTemplate(source, renderers, frozenset(derived), tuple(variables))


def check_variables(compiled: CompiledTemplate, available: Iterable[str]) -> None:
    """Raise :class:`TemplateVariableError` for required variables not in ``available``."""
    names = set(available)
    missing = [use for name, use in compiled.required_variables().items() if name not in names]
    if missing:
        raise TemplateVariableError(
            missing,
            available=names,
            origins=compiled.source.origins,
            engine=compiled.source.engine,
        )
