"""Liquid adapter (python-liquid 2): same filters, escaping, analysis and limits as Jinja.

Liquid cannot reach Python attributes at all (paths only index mappings and sequences), so
the sandboxing here is about resources and files: ``include``/``render`` are removed, range
literals are only allowed as loop iterables, and loop/output/namespace limits are set.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping
from io import StringIO
from typing import Any

from liquid import Environment, RenderContext
from liquid.ast import Node
from liquid.builtin.expressions.filtered import FilteredExpression
from liquid.builtin.expressions.logical import (
    BooleanExpression,
    LogicalAndExpression,
    LogicalNotExpression,
    LogicalOrExpression,
    NeExpression,
)
from liquid.builtin.expressions.loop import LoopExpression
from liquid.builtin.expressions.path import Path
from liquid.builtin.expressions.primitive import Blank, Empty, Nil, RangeLiteral
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.builtin.tags.if_tag import IfNode
from liquid.builtin.tags.unless_tag import UnlessNode
from liquid.exceptions import LiquidError
from liquid.expression import Expression
from liquid.filter import with_context
from liquid.stringify import to_liquid_string
from liquid.template import BoundTemplate
from liquid.token import Token
from liquid.undefined import UNDEFINED, Undefined

from brandloom.templates import filters as F
from brandloom.templates._types import ESCAPE_HTML, ESCAPE_MARKDOWN, ESCAPE_SLOTS, VariableUse
from brandloom.templates.errors import (
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from brandloom.templates.slots import check_slot_marks, slot

LOOP_LIMIT = 10_000
MAX_OUTPUT = 2_000_000
NAMESPACE_LIMIT = 1_000_000


class TrackingUndefined(Undefined):
    """Renders as ``""``; records its name in the render's sink when one is attached."""

    __slots__ = ("sink",)

    def __init__(
        self,
        name: str,
        *,
        token: Token | None = None,
        obj: object = UNDEFINED,
        hint: str | None = None,
    ) -> None:
        super().__init__(name, token=token, obj=obj, hint=hint)
        self.sink: list[str] | None = None

    def _record(self) -> None:
        sink = self.sink
        if sink is not None and self.name not in sink:
            sink.append(self.name)

    def __str__(self) -> str:
        self._record()
        return ""

    def __iter__(self) -> Any:
        self._record()
        return iter(())


class TrackingContext(RenderContext):
    """Attaches the per-render sink to undefined top-level names."""

    __slots__ = ("bl_sink", "bl_unparsed")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bl_sink: list[str] | None = None
        self.bl_unparsed: F.Unparsed | None = None

    def get(
        self, path: list[object], *, token: Token | None, default: object = UNDEFINED
    ) -> object:
        value = super().get(path, token=token, default=default)
        if type(value) is TrackingUndefined and value.sink is None:
            root = path[0] if path else None
            if isinstance(root, str) and root not in self.scope:
                value.sink = self.bl_sink
        return value

    def resolve(self, name: str, *, token: Token | None = None, default: object = UNDEFINED) -> Any:
        value = super().resolve(name, token=token, default=default)
        if type(value) is TrackingUndefined and value.sink is None:
            value.sink = self.bl_sink
        return value


# --- filters -------------------------------------------------------------------------------


def _locale_of(context: RenderContext) -> object:
    value = context.resolve("locale", default=None)
    return None if isinstance(value, Undefined) else value


# The formatting filters note values they print unformatted in the render's list; a context
# Liquid copies for a block may not carry it (then nothing is noted there).
@with_context
def _date(value: Any, fmt: Any = "medium", locale: Any = None, *, context: RenderContext) -> str:
    unparsed = getattr(context, "bl_unparsed", None)
    return F.format_date(value, fmt, locale=locale or _locale_of(context), unparsed=unparsed)


@with_context
def _number(value: Any, fmt: Any = None, locale: Any = None, *, context: RenderContext) -> str:
    unparsed = getattr(context, "bl_unparsed", None)
    return F.format_number(value, fmt, locale=locale or _locale_of(context), unparsed=unparsed)


@with_context
def _currency(
    value: Any, code: Any = "USD", fmt: Any = None, locale: Any = None, *, context: RenderContext
) -> str:
    unparsed = getattr(context, "bl_unparsed", None)
    return F.format_currency(
        value, code, fmt, locale=locale or _locale_of(context), unparsed=unparsed
    )


@with_context
def _percent(value: Any, fmt: Any = None, locale: Any = None, *, context: RenderContext) -> str:
    unparsed = getattr(context, "bl_unparsed", None)
    return F.format_percent(value, fmt, locale=locale or _locale_of(context), unparsed=unparsed)


def _utm(
    value: Any,
    source: Any = None,
    medium: Any = None,
    campaign: Any = None,
    content: Any = None,
    term: Any = None,
) -> str:
    return F.utm(value, source, medium, campaign, content, term)


EXTRA_FILTERS = {
    "date": _date,
    "number": _number,
    "currency": _currency,
    "percent": _percent,
    "title": F.title,
    "url_encode": F.url_encode,
    "utm": _utm,
}


# --- markdown-escaping output -----------------------------------------------------------------


class _MarkdownOutputNode(OutputNode):
    def render_to_output(self, context: RenderContext, buffer: Any) -> int:
        value = to_liquid_string(self.expression.evaluate(context), False)
        return int(buffer.write(F.markdown_escape(value)))


class _MarkdownOutput(Output):
    node_class = _MarkdownOutputNode


class _MarkdownEchoNode(EchoNode):
    def render_to_output(self, context: RenderContext, buffer: Any) -> int:
        value = to_liquid_string(self.expression.evaluate(context), False)
        return int(buffer.write(F.markdown_escape(value)))


class _MarkdownEcho(EchoTag):
    node_class = _MarkdownEchoNode


# --- slotted output (see templates.slots) -----------------------------------------------------


class _SlotOutputNode(OutputNode):
    def render_to_output(self, context: RenderContext, buffer: Any) -> int:
        value = to_liquid_string(self.expression.evaluate(context), False)
        return int(buffer.write(slot(value)))


class _SlotOutput(Output):
    node_class = _SlotOutputNode


class _SlotEchoNode(EchoNode):
    def render_to_output(self, context: RenderContext, buffer: Any) -> int:
        value = to_liquid_string(self.expression.evaluate(context), False)
        return int(buffer.write(slot(value)))


class _SlotEcho(EchoTag):
    node_class = _SlotEchoNode


# Tags that write values past the output tags: in a slotted part a value must be a slot.
_UNSLOTTED_TAGS = ("cycle", "tablerow")


# --- environment -------------------------------------------------------------------------------


class _OutputLimit(LiquidError):
    """Raised by :class:`_Buffer` when a part's output grows past ``MAX_OUTPUT``."""


class _Buffer(StringIO):
    """Output buffer with a size cap.

    Liquid's own ``LimitedStringIO`` turns on universal-newline translation (``\r`` becomes
    ``\n`` in contact data) and UTF-8-encodes every write, so we cap output ourselves.
    """

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise _OutputLimit(f"output is larger than {MAX_OUTPUT} characters", token=None)
        return super().write(text)


class LiquidEnv(Environment):
    loop_iteration_limit = LOOP_LIMIT
    local_namespace_limit = NAMESPACE_LIMIT

    def error(
        self,
        exc: type[LiquidError] | LiquidError,
        msg: str | None = None,
        token: Token | None = None,
    ) -> None:
        # Errors at the end of an inner expression carry a position-less EOF token; the
        # enclosing stream knows where the markup is.
        if (
            isinstance(exc, LiquidError)
            and token is not None
            and token.start_index >= 0
            and (exc.token is None or exc.token.start_index < 0)
        ):
            exc.token = token
        super().error(exc, msg, token)


def _build_env(escaping: str) -> LiquidEnv:
    env = LiquidEnv(autoescape=escaping == ESCAPE_HTML, undefined=TrackingUndefined)
    for tag in ("include", "render"):
        env.tags.pop(tag, None)
    for name, func in EXTRA_FILTERS.items():
        env.add_filter(name, func)
    if escaping == ESCAPE_MARKDOWN:
        env.add_tag(_MarkdownOutput)
        env.add_tag(_MarkdownEcho)
    elif escaping == ESCAPE_SLOTS:
        env.add_tag(_SlotOutput)
        env.add_tag(_SlotEcho)
        for tag in _UNSLOTTED_TAGS:
            env.tags.pop(tag, None)
    return env


# One environment per escaping mode, built on first use and shared for the process.
environment = functools.cache(_build_env)


# --- analysis + validation ---------------------------------------------------------------------


class _Lines:
    def __init__(self, source: str) -> None:
        self.source = source
        self.starts = [0]
        self.starts.extend(i + 1 for i, ch in enumerate(source) if ch == "\n")

    def line_col(self, index: int) -> tuple[int, int]:
        if index < 0:
            index = len(self.source)
        line = bisect.bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1


def _root(expr: Expression) -> str | None:
    if isinstance(expr, Path) and expr.path and isinstance(expr.path[0], str):
        return expr.path[0]
    if isinstance(expr, FilteredExpression) and not expr.filters:
        return _root(expr.left)
    return None


def _truthy(expr: Expression) -> set[str]:
    if isinstance(expr, BooleanExpression):
        return _truthy(expr.expression)
    if isinstance(expr, LogicalAndExpression):
        return _truthy(expr.left) | _truthy(expr.right)
    if isinstance(expr, LogicalNotExpression):
        return _falsy(expr.right)
    if isinstance(expr, NeExpression):
        blanks = (Nil, Empty, Blank)
        if isinstance(expr.right, blanks) or isinstance(expr.left, blanks):
            names = {_root(expr.left), _root(expr.right)}
            return {n for n in names if n}
        return set()
    name = _root(expr)
    return {name} if name else set()


def _falsy(expr: Expression) -> set[str]:
    if isinstance(expr, BooleanExpression):
        return _falsy(expr.expression)
    if isinstance(expr, LogicalOrExpression):
        return _falsy(expr.left) | _falsy(expr.right)
    if isinstance(expr, LogicalNotExpression):
        return _truthy(expr.right)
    return set()


class _Analyzer:
    def __init__(
        self, template: BoundTemplate, source: str, part: str, origin: str | None, env: LiquidEnv
    ) -> None:
        self.template = template
        self.part = part
        self.origin = origin
        self.env = env
        self.lines = _Lines(source)
        self.static = RenderContext(template)
        self.uses: list[VariableUse] = []

    def run(self) -> list[VariableUse]:
        scope: list[set[str]] = [set()]
        for node in self.template.nodes:
            self.node(node, scope, frozenset())
        return self.uses

    def fail(self, token: Token | None, reason: str, *, security: bool) -> None:
        line, column = self.lines.line_col(token.start_index if token else -1)
        cls = TemplateSecurityError if security else TemplateSyntaxError
        raise cls(reason, part=self.part, line=line, column=column, origin=self.origin)

    def node(self, node: Node, scope: list[set[str]], guards: frozenset[str]) -> None:
        if isinstance(node, IfNode):
            self.expr(node.condition, scope, guards, fallback=True)
            self.node(node.consequence, scope, guards | _truthy(node.condition))
            negated = _falsy(node.condition)
            for alt in node.alternatives:
                self.expr(alt.expression, scope, guards, fallback=True)
                self.node(alt.block, scope, guards | negated | _truthy(alt.expression))
                negated = negated | _falsy(alt.expression)
            if node.default is not None:
                self.node(node.default, scope, guards | negated)
            return
        if isinstance(node, UnlessNode):
            self.expr(node.condition, scope, guards, fallback=True)
            self.node(node.consequence, scope, guards | _falsy(node.condition))
            for alt in node.alternatives:
                self.expr(alt.expression, scope, guards, fallback=True)
                self.node(alt.block, scope, guards | _truthy(alt.expression))
            if node.default is not None:
                self.node(node.default, scope, guards | _truthy(node.condition))
            return
        for expression in node.expressions():
            self.expr(expression, scope, guards, fallback=False)
        for ident in node.template_scope():
            scope[0].add(str(ident))
        inner = [*scope, {str(name) for name in node.block_scope()}]
        for child in node.children(self.static, include_partials=False):
            self.node(child, inner, guards)

    def expr(
        self, expr: Expression, scope: list[set[str]], guards: frozenset[str], *, fallback: bool
    ) -> None:
        if isinstance(expr, Path):
            root = expr.path[0] if expr.path else None
            if isinstance(root, str) and not any(root in s for s in scope):
                line, _ = self.lines.line_col(expr.token.start_index)
                self.uses.append(VariableUse(root, self.part, line, fallback or root in guards))
            for child in expr.children():
                self.expr(child, scope, guards, fallback=fallback)
            return
        if isinstance(expr, RangeLiteral):
            self.fail(expr.token, "ranges are only allowed as 'for' loop iterables", security=True)
        if isinstance(expr, LoopExpression):
            if isinstance(expr.iterable, RangeLiteral):
                for child in expr.iterable.children():
                    self.expr(child, scope, guards, fallback=fallback)
                rest = [c for c in expr.children() if c is not expr.iterable]
            else:
                rest = list(expr.children())
            for child in rest:
                self.expr(child, scope, guards, fallback=fallback)
            return
        if isinstance(expr, FilteredExpression) and expr.filters:
            has_default = False
            for filter_ in expr.filters:
                if filter_.name not in self.env.filters:
                    self.fail(filter_.token, f"unknown filter '{filter_.name}'", security=False)
                has_default = has_default or filter_.name == "default"
            self.expr(expr.left, scope, guards, fallback=fallback or has_default)
            for filter_ in expr.filters:
                for child in filter_.children():
                    self.expr(child, scope, guards, fallback=fallback)
            return
        inner = scope
        child_scope = expr.scope()
        if child_scope:
            inner = [*scope, {str(name) for name in child_scope}]
        for child in expr.children():
            self.expr(child, inner, guards, fallback=fallback)


# --- compiled part -----------------------------------------------------------------------------


class LiquidPart:
    __slots__ = ("name", "template")

    def __init__(self, name: str, template: BoundTemplate) -> None:
        self.name = name
        self.template = template

    def render(
        self, data: Mapping[str, Any], sink: list[str], unparsed: F.Unparsed | None = None
    ) -> str:
        template = self.template
        ctx = TrackingContext(template, globals=data)
        ctx.bl_sink = sink
        ctx.bl_unparsed = unparsed
        buffer = _Buffer()
        try:
            template.render_with_context(ctx, buffer)
        except LiquidError as exc:
            message = exc.message if exc.message is not None else exc
            code = "template.limit_exceeded" if "limit" in type(exc).__name__.lower() else None
            raise TemplateRenderError(str(message), part=self.name, code=code) from None
        except Exception as exc:
            raise TemplateRenderError(f"{type(exc).__name__}: {exc}", part=self.name) from exc
        return str(buffer.getvalue())


def _syntax_error(
    exc: LiquidError, source: str, part: str, origin: str | None
) -> TemplateSyntaxError:
    lines = _Lines(source)
    token = exc.token
    index = token.start_index if token is not None and token.source == source else -1
    if index >= 0 and "found end of expression" in str(exc.message) and token is not None:
        # "expected X, found end of expression": point just past the expression text.
        index += len(token.value.rstrip())
    line, column = lines.line_col(index)
    reason = str(exc.message) if exc.message is not None else type(exc).__name__
    return TemplateSyntaxError(reason, part=part, line=line, column=column, origin=origin)


def compile_part(
    part: str, source: str, escaping: str, origin: str | None
) -> tuple[LiquidPart, list[VariableUse]]:
    env = environment(escaping)
    if escaping == ESCAPE_SLOTS:
        check_slot_marks(source, part, origin)
    try:
        template = env.from_string(source)
    except LiquidError as exc:
        raise _syntax_error(exc, source, part, origin) from None
    uses = _Analyzer(template, source, part, origin, env).run()
    return LiquidPart(part, template), uses
