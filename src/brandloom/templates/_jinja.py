"""Jinja adapter: a locked-down sandbox, compile-time validation, analysis and fast rendering.

Defence in depth, from outside in:

* compile time: no ``include``/``import``/``extends``/``macro``/``call``/``block``/
  ``autoescape`` tags, no recursive loops, no ``self``, no attribute or item names starting
  with ``_``, only allow-listed filters and tests, and calls only to a short list of pure
  ``str``/``dict``/``list`` methods (plus ``loop.cycle``/``loop.changed``);
* run time: :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` with every global removed,
  the same call allow-list enforced again, size guards on ``*``/``**``/``+``/``~``/``%``
  and ``replace``/``join``, a per-render loop-iteration budget and an output cap.

Undefined names render as ``""`` and are recorded in the render's ``unresolved`` list, which
lives in the per-render context object, so concurrent renders never share it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from types import CodeType
from typing import Any, NoReturn

import jinja2
import orjson
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError, TemplateRuntimeError, UndefinedError
from jinja2.exceptions import TemplateSyntaxError as JinjaSyntaxError
from jinja2.filters import (
    do_capitalize,
    do_first,
    do_join,
    do_last,
    do_lower,
    do_replace,
    do_striptags,
    do_trim,
    do_truncate,
    do_upper,
    do_wordcount,
)
from jinja2.lexer import Token, TokenStream
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import (
    ChainableUndefined,
    Context,
    LoopContext,
    Undefined,
    markup_join,
    str_join,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing, pass_context, pass_eval_context
from markupsafe import escape

from brandloom import __version__ as brandloom_version
from brandloom.cache import LocalCache
from brandloom.templates import filters as F
from brandloom.templates._types import (
    ESCAPE_HTML,
    ESCAPE_MARKDOWN,
    ESCAPE_NONE,
    ESCAPE_SLOTS,
    VariableUse,
)
from brandloom.templates.errors import (
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from brandloom.templates.slots import check_slot_marks, slot

# --- limits ----------------------------------------------------------------------------

LOOP_BUDGET = 10_000  # loop iterations per part render, all loops together
MAX_STRING = 200_000  # chars a single string/list operation may produce
MAX_OUTPUT = 2_000_000  # chars of output per part
MAX_INT_BITS = 4_096  # size of integers arithmetic may produce


class LimitExceeded(Exception):
    """A template hit one of the resource limits above."""


# --- undefined + context -------------------------------------------------------------------


class TrackingUndefined(ChainableUndefined):
    """Renders as ``""``; when it came from a top-level name, records that name once.

    Attribute/item access chains (``contact.city`` on a missing ``contact``), comparisons
    are ``False``; arithmetic and calls still raise (a render error).
    """

    __slots__ = ("_bl_sink",)

    def __init__(
        self,
        hint: str | None = None,
        obj: Any = missing,
        name: str | None = None,
        exc: type[TemplateRuntimeError] = UndefinedError,
        sink: list[str] | None = None,
    ) -> None:
        super().__init__(hint, obj, name, exc)
        self._bl_sink = sink

    def _bl_record(self) -> None:
        sink = self._bl_sink
        name = self._undefined_name
        if sink is not None and name is not None and name not in sink:
            sink.append(name)

    def __str__(self) -> str:
        self._bl_record()
        return ""

    def __html__(self) -> str:
        self._bl_record()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._bl_record()
        return iter(())

    def _false(self, other: object) -> bool:
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false  # type: ignore[assignment]


class RenderContext(Context):
    """A lean per-render context: no dict copy of the data, a sink and a loop budget."""

    def __init__(
        self,
        environment: Any,
        parent: Mapping[str, Any],
        sink: list[str],
        eval_ctx: EvalContext,
        unparsed: F.Unparsed | None = None,
    ) -> None:
        self.parent = parent  # type: ignore[assignment]
        self.vars = {}
        self.environment = environment
        self.eval_ctx = eval_ctx
        self.exported_vars = set()
        self.name = None
        self.globals_keys = set()
        self.blocks = {}
        self.bl_sink = sink
        self.bl_budget = LOOP_BUDGET
        self.bl_unparsed = unparsed

    def resolve_or_missing(self, key: str) -> Any:
        if key in self.vars:
            return self.vars[key]
        try:
            return self.parent[key]
        except (KeyError, TypeError):
            return TrackingUndefined(name=key, sink=self.bl_sink)


def _locale_of(ctx: Context) -> object:
    value = ctx.vars.get("locale", missing)
    if value is missing:
        try:
            value = ctx.parent["locale"]
        except (KeyError, TypeError):
            return None
    return None if isinstance(value, Undefined) else value


# --- call / size guards ----------------------------------------------------------------------

STR_METHODS = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "index",
        "isalnum",
        "isalpha",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    }
)
MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
SEQUENCE_METHODS = frozenset({"count", "index"})
LOOP_METHODS = frozenset({"changed", "cycle"})
CALLABLE_NAMES = STR_METHODS | MAPPING_METHODS | SEQUENCE_METHODS | LOOP_METHODS


def _guard_replace(text: str, old: object, new: object, count: object = None) -> None:
    if not isinstance(old, str) or not isinstance(new, str):
        return
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_STRING:
        raise LimitExceeded("replace() would produce too much text")


def _guard_join(sep: str, items: list[Any]) -> None:
    total = len(sep) * max(len(items) - 1, 0)
    for item in items:
        total += len(item) if isinstance(item, str) else 0
    if total > MAX_STRING:
        raise LimitExceeded("join() would produce too much text")


def _too_long(value: object) -> bool:
    return isinstance(value, (str, list, tuple)) and len(value) > MAX_STRING


def _sized_seq(value: object) -> bool:
    return isinstance(value, (str, list, tuple))


def _bits(value: object) -> int:
    if isinstance(value, int):
        return value.bit_length()
    return 0


class Sandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox with a call allow-list and size-guarded operators."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call(
        __self,
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        allowed = (
            (isinstance(owner, str) and name in STR_METHODS)
            or (isinstance(owner, Mapping) and name in MAPPING_METHODS)
            or (isinstance(owner, (list, tuple)) and name in SEQUENCE_METHODS)
            or (isinstance(owner, LoopContext) and name in LOOP_METHODS)
        )
        if not allowed:
            raise SecurityError(f"calling {name or type(__obj).__name__!r} is not allowed")
        if isinstance(owner, str) and args:
            if name == "replace":
                _guard_replace(owner, *args[:3])
            elif name == "join":
                items = list(args[0])
                _guard_join(owner, items)
                args = (items, *args[1:])
        # Context.call drops Jinja's internal ``_loop_vars``/``_block_vars`` keywords.
        return __context.call(__obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("'%' string formatting is not allowed")
        if operator == "**" and isinstance(right, int) and isinstance(left, int) and right > 0:
            if _bits(left) * right > MAX_INT_BITS:
                raise LimitExceeded("'**' result is too large")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _sized_seq(seq) and isinstance(times, int) and len(seq) * times > MAX_STRING:
                    raise LimitExceeded("'*' would produce too much data")
            if _bits(left) + _bits(right) > MAX_INT_BITS:
                raise LimitExceeded("'*' result is too large")
        elif (
            operator == "+"
            and _sized_seq(left)
            and _sized_seq(right)
            and len(left) + len(right) > MAX_STRING
        ):
            raise LimitExceeded("'+' would produce too much data")
        return self.binop_table[operator](left, right)


# --- filters -----------------------------------------------------------------------------


def _default(value: Any, default_value: Any = "", boolean: bool = True) -> Any:
    if boolean:
        return F.default(value, default_value)
    return default_value if isinstance(value, Undefined) else value


# The formatting filters note values they print unformatted in the render's list (a context
# Jinja derives for a block has none: nothing is noted there).
@pass_context
def _date(ctx: Context, value: Any, fmt: Any = "medium", locale: Any = None) -> str:
    unparsed = getattr(ctx, "bl_unparsed", None)
    return F.format_date(value, fmt, locale=locale or _locale_of(ctx), unparsed=unparsed)


@pass_context
def _number(ctx: Context, value: Any, fmt: Any = None, locale: Any = None) -> str:
    unparsed = getattr(ctx, "bl_unparsed", None)
    return F.format_number(value, fmt, locale=locale or _locale_of(ctx), unparsed=unparsed)


@pass_context
def _currency(
    ctx: Context, value: Any, code: Any = "USD", fmt: Any = None, locale: Any = None
) -> str:
    unparsed = getattr(ctx, "bl_unparsed", None)
    return F.format_currency(value, code, fmt, locale=locale or _locale_of(ctx), unparsed=unparsed)


@pass_context
def _percent(ctx: Context, value: Any, fmt: Any = None, locale: Any = None) -> str:
    unparsed = getattr(ctx, "bl_unparsed", None)
    return F.format_percent(value, fmt, locale=locale or _locale_of(ctx), unparsed=unparsed)


@pass_eval_context
def _replace(eval_ctx: EvalContext, value: Any, old: Any, new: Any, count: Any = None) -> Any:
    _guard_replace(F.text_of(value), F.text_of(old), F.text_of(new), count)
    return do_replace(eval_ctx, value, F.text_of(old), F.text_of(new), count)


def _length(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 0


def _round(value: Any, precision: Any = 0, method: str = "common") -> Any:
    number = F.to_number(value)
    if number is None:
        return value
    digits = max(-15, min(15, precision if isinstance(precision, int) else 0))
    try:
        as_float = float(number)
        if method in ("ceil", "floor"):
            factor = 10.0**digits
            op = math.ceil if method == "ceil" else math.floor
            return op(as_float * factor) / factor
        return round(as_float, digits)
    except (OverflowError, ValueError):
        return value


def _int(value: Any, default: Any = 0) -> Any:
    number = F.to_number(value)
    if number is None:
        return default
    try:
        return int(number)
    except (OverflowError, ValueError):
        return default


def _float(value: Any, default: Any = 0.0) -> Any:
    number = F.to_number(value)
    if number is None:
        return default
    try:
        return float(number)
    except (OverflowError, ValueError):
        return default


def _abs(value: Any) -> Any:
    number = F.to_number(value)
    return value if number is None else abs(number)


def _utm(
    value: Any,
    source: Any = None,
    medium: Any = None,
    campaign: Any = None,
    content: Any = None,
    term: Any = None,
) -> str:
    return F.utm(value, source, medium, campaign, content, term)


@pass_context
def _loop_guard(ctx: Context, iterable: Any) -> Any:
    """Charges a loop against the render's iteration budget (inserted by the compiler)."""
    if isinstance(iterable, Sized):
        try:
            size = len(iterable)
        except Exception:
            size = 0
        budget = getattr(ctx, "bl_budget", LOOP_BUDGET) - size
        if budget < 0:
            raise LimitExceeded(f"loops ran more than {LOOP_BUDGET} iterations")
        ctx.bl_budget = budget  # type: ignore[attr-defined]
        return iterable
    return _counted(ctx, iterable)


def _counted(ctx: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        budget = getattr(ctx, "bl_budget", LOOP_BUDGET) - 1
        if budget < 0:
            raise LimitExceeded(f"loops ran more than {LOOP_BUDGET} iterations")
        ctx.bl_budget = budget  # type: ignore[attr-defined]
        yield item


@pass_eval_context
def _concat_guard(eval_ctx: EvalContext, items: list[Any]) -> str:
    out: str = markup_join(items) if eval_ctx.autoescape else str_join(items)
    if len(out) > MAX_STRING:
        raise LimitExceeded("'~' would produce too much text")
    return out


def _capture_guard(value: Any) -> Any:
    if _too_long(value):
        raise LimitExceeded("{% set %} block captured too much text")
    return value


PUBLIC_FILTERS: dict[str, Callable[..., Any]] = {
    "default": _default,
    "d": _default,
    "date": _date,
    "number": _number,
    "currency": _currency,
    "percent": _percent,
    "title": lambda value: F.title(value),
    "truncate": do_truncate,
    "url_encode": lambda value: F.url_encode(value),
    "urlencode": lambda value: F.url_encode(value),
    "utm": _utm,
    "upper": do_upper,
    "lower": do_lower,
    "capitalize": do_capitalize,
    "trim": do_trim,
    "replace": _replace,
    "length": _length,
    "count": _length,
    "first": do_first,
    "last": do_last,
    "join": do_join,
    "round": _round,
    "int": _int,
    "float": _float,
    "abs": _abs,
    "striptags": do_striptags,
    "wordcount": do_wordcount,
    "escape": escape,
    "e": escape,
}
_LOOP_GUARD = "_bl_loop_guard"
_CONCAT_GUARD = "_bl_concat_guard"
_CAPTURE_GUARD = "_bl_capture_guard"
_INTERNAL_FILTERS: dict[str, Callable[..., Any]] = {
    _LOOP_GUARD: _loop_guard,
    _CONCAT_GUARD: _concat_guard,
    _CAPTURE_GUARD: _capture_guard,
}
SAFE_TESTS = frozenset(
    {
        "boolean",
        "defined",
        "divisibleby",
        "eq",
        "equalto",
        "==",
        "even",
        "false",
        "float",
        "ge",
        ">=",
        "gt",
        "greaterthan",
        ">",
        "in",
        "integer",
        "iterable",
        "le",
        "<=",
        "lower",
        "lt",
        "lessthan",
        "<",
        "mapping",
        "ne",
        "!=",
        "none",
        "number",
        "odd",
        "sequence",
        "string",
        "true",
        "undefined",
        "upper",
    }
)


def _finalize(value: Any) -> Any:
    """``None`` prints as nothing; so do functions/methods (no ``<built-in method ...>``)."""
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if callable(value) and not isinstance(value, Undefined):
        return ""
    return value


def _finalize_markdown(value: Any) -> str:
    return F.markdown_escape(_finalize(value))


def _finalize_slot(value: Any) -> str:
    """Every output of a slotted part is one slot (see ``templates.slots``)."""
    value = _finalize(value)
    return slot(value if value.__class__ is str else str(value))


_FINALIZE: dict[str, Callable[[Any], Any]] = {
    ESCAPE_MARKDOWN: _finalize_markdown,
    ESCAPE_SLOTS: _finalize_slot,
}


def _build_env(escaping: str) -> Sandbox:
    env = Sandbox(
        autoescape=escaping == ESCAPE_HTML,
        undefined=TrackingUndefined,
        finalize=_FINALIZE.get(escaping, _finalize),
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=0,
    )
    env.globals.clear()
    env.filters = {**PUBLIC_FILTERS, **_INTERNAL_FILTERS}
    env.tests = {name: test for name, test in env.tests.items() if name in SAFE_TESTS}
    env.policies["truncate.leeway"] = 0
    return env


_ENVS: dict[str, Sandbox] = {}


def environment(escaping: str) -> Sandbox:
    env = _ENVS.get(escaping)
    if env is None:
        env = _ENVS[escaping] = _build_env(escaping)
    return env


# --- errors with columns ----------------------------------------------------------------------


def _line_col(source: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def column_of(source: str, line: int, needle: str, *, word: bool = False) -> int:
    """1-based column of ``needle`` on ``line`` (1 when not found): best effort."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines) or not needle:
        return 1
    text = lines[line - 1]
    if word:
        match = re.search(rf"(?<![\w.]){re.escape(needle)}(?!\w)", text)
        if match:
            return match.start() + 1
    index = text.find(needle)
    return index + 1 if index >= 0 else 1


_QUOTED = re.compile(r"'([^']+)'")


def _locate(env: Sandbox, source: str, exc: JinjaSyntaxError) -> tuple[int, int]:
    """Line and column of a Jinja syntax error by re-lexing with token offsets."""
    line = exc.lineno or 1
    state = {"pos": 0, "end": 0}

    def raw() -> Iterator[tuple[int, str, str]]:
        for lineno, kind, value in env.lexer.tokeniter(source, None):
            index = source.find(value, state["end"]) if value else -1
            if index < 0:
                index = state["end"]
            state["pos"] = index
            state["end"] = index + len(value)
            yield lineno, kind, value
        state["pos"] = state["end"] = len(source)

    positions: list[tuple[Token, int]] = []

    def wrapped() -> Iterator[Token]:
        for token in env.lexer.wrap(raw()):
            positions.append((token, state["pos"]))
            yield token

    try:
        for _ in raw():
            pass
    except JinjaSyntaxError as lex_exc:
        # A lexer error: it happened right after the last good token.
        line = lex_exc.lineno or line
        message = lex_exc.message or ""
        at = re.search(r" at (\d+)$", message)
        if at:
            return _line_col(source, int(at.group(1)))
        quoted = _QUOTED.search(message)
        if quoted:
            index = source.find(quoted.group(1), state["end"])
            if index >= 0:
                return _line_col(source, index)
        return _line_col(source, state["end"])
    state["pos"] = state["end"] = 0
    parser = Parser(env, "")
    try:
        parser.stream = TokenStream(wrapped(), None, None)
        parser.parse()
    except JinjaSyntaxError:
        current = parser.stream.current
        if current.type == "eof":
            return _line_col(source, len(source))
        for token, pos in reversed(positions):
            if token is current:
                found_line, col = _line_col(source, pos)
                if found_line == line:
                    return line, col
                break
    except Exception:  # noqa: S110 - best effort: fall back to searching the line
        pass
    quoted = _QUOTED.search(exc.message or "")
    return line, column_of(source, line, quoted.group(1)) if quoted else 1


def syntax_error(
    env: Sandbox, source: str, exc: JinjaSyntaxError, part: str, origin: str | None
) -> TemplateSyntaxError:
    line, column = _locate(env, source, exc)
    reason = (exc.message or "invalid template").strip()
    return TemplateSyntaxError(reason, part=part, line=line, column=column, origin=origin)


# --- validation -------------------------------------------------------------------------------

_FORBIDDEN_TAGS: dict[type[nodes.Node], tuple[str, str]] = {
    nodes.Extends: ("extends", "'extends' is not allowed: templates cannot load files"),
    nodes.Include: ("include", "'include' is not allowed: templates cannot load files"),
    nodes.Import: ("import", "'import' is not allowed: templates cannot load files"),
    nodes.FromImport: ("from", "'from ... import' is not allowed: templates cannot load files"),
    nodes.Macro: ("macro", "'macro' is not allowed"),
    nodes.CallBlock: ("call", "'call' blocks are not allowed"),
    nodes.Block: ("block", "'block' is not allowed: there is no template inheritance"),
    nodes.ScopedEvalContextModifier: ("autoescape", "'autoescape' blocks are not allowed"),
    nodes.EvalContextModifier: ("autoescape", "'autoescape' blocks are not allowed"),
    nodes.ExprStmt: ("do", "'do' is not allowed"),
    nodes.NSRef: ("set", "assigning to attributes is not allowed"),
}


def validate(
    tree: nodes.Template, source: str, part: str, origin: str | None, env: Sandbox
) -> None:
    """Reject everything the sandbox must never see (raises TemplateSecurityError)."""

    def fail(node: nodes.Node, needle: str, reason: str, *, word: bool = True) -> NoReturn:
        line = getattr(node, "lineno", 1) or 1
        raise TemplateSecurityError(
            reason,
            part=part,
            line=line,
            column=column_of(source, line, needle, word=word),
            origin=origin,
        )

    def fail_syntax(node: nodes.Node, needle: str, reason: str) -> NoReturn:
        line = getattr(node, "lineno", 1) or 1
        raise TemplateSyntaxError(
            reason,
            part=part,
            line=line,
            column=column_of(source, line, needle, word=True),
            origin=origin,
        )

    for node in tree.find_all(nodes.Node):
        kind = type(node)
        if kind in _FORBIDDEN_TAGS:
            keyword, reason = _FORBIDDEN_TAGS[kind]
            fail(node, keyword, reason)
        if isinstance(node, nodes.For) and node.recursive:
            fail(node, "recursive", "recursive loops are not allowed")
        elif isinstance(node, nodes.Name) and (node.name == "self" or node.name.startswith("_")):
            fail(node, node.name, f"the name {node.name!r} is not allowed")
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            fail(node, node.attr, f"attribute {node.attr!r} is not allowed")
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            if isinstance(arg, nodes.Const) and str(arg.value).startswith("_"):
                fail(node, str(arg.value), f"item {arg.value!r} is not allowed", word=False)
        elif isinstance(node, nodes.Filter):
            if node.name not in PUBLIC_FILTERS:
                fail_syntax(node, node.name, f"unknown filter '{node.name}'")
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                fail(node, node.name, "'*args'/'**kwargs' in filter calls are not allowed")
        elif isinstance(node, nodes.Test):
            if node.name not in env.tests:
                fail_syntax(node, node.name, f"unknown test '{node.name}'")
        elif isinstance(node, nodes.Call):
            target = node.node
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                fail(node, "*", "'*args'/'**kwargs' in calls are not allowed", word=False)
            if not isinstance(target, nodes.Getattr) or target.attr not in CALLABLE_NAMES:
                label = _callee_label(target)
                fail(node, label, f"calling {label!r} is not allowed")


def _validate_slotted(tree: nodes.Template, source: str, part: str, origin: str | None) -> None:
    # A filter block rewrites rendered text, values included: it could cut a slot in two.
    for node in tree.find_all(nodes.FilterBlock):
        line = node.lineno or 1
        raise TemplateSyntaxError(
            f"'filter' blocks are not allowed in the {part} part: filter each value instead "
            "({{ name | upper }})",
            part=part,
            line=line,
            column=column_of(source, line, "filter", word=True),
            origin=origin,
        )


def _callee_label(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return node.attr
    return type(node).__name__.lower()


# --- hardening transform ----------------------------------------------------------------------


def _guard_filter(name: str, node: Any, lineno: int) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=lineno)


def harden(tree: nodes.Template, env: Sandbox) -> bool:
    """Insert loop budgets and size guards; returns whether the template has loops."""
    has_loops = False
    for loop in list(tree.find_all(nodes.For)):
        has_loops = True
        loop.iter = _guard_filter(_LOOP_GUARD, loop.iter, loop.lineno)
    for concat in list(tree.find_all(nodes.Concat)):
        items = nodes.List(list(concat.nodes), lineno=concat.lineno)
        guarded = _guard_filter(_CONCAT_GUARD, items, concat.lineno)
        concat.nodes = [guarded]
    for block in list(tree.find_all(nodes.AssignBlock)):
        block.filter = _guard_filter(_CAPTURE_GUARD, block.filter, block.lineno)
    tree.set_environment(env)
    return has_loops


# --- variable analysis ------------------------------------------------------------------------


def _root_name(node: nodes.Node) -> str | None:
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        node = node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return node.name
    if isinstance(node, nodes.Filter) and node.name not in ("default", "d") and node.node:
        return _root_name(node.node)
    return None


def _truthy(test: nodes.Node) -> set[str]:
    """Names certainly defined when ``test`` is true."""
    if isinstance(test, nodes.And):
        return _truthy(test.left) | _truthy(test.right)
    if isinstance(test, nodes.Not):
        return _falsy(test.node)
    if isinstance(test, nodes.Test):
        if test.name == "defined":
            name = _root_name(test.node)
            return {name} if name else set()
        return set()
    if isinstance(test, nodes.Compare):
        if all(op.op in ("eq", "gt", "gteq", "lt", "lteq", "in") for op in test.ops):
            found = {_root_name(test.expr), *(_root_name(op.expr) for op in test.ops)}
            return {n for n in found if n}
        return set()
    name = _root_name(test)
    return {name} if name else set()


def _falsy(test: nodes.Node) -> set[str]:
    """Names certainly defined when ``test`` is false."""
    if isinstance(test, nodes.Or):
        return _falsy(test.left) | _falsy(test.right)
    if isinstance(test, nodes.Not):
        return _truthy(test.node)
    if isinstance(test, nodes.Test) and test.name in ("undefined", "none"):
        name = _root_name(test.node)
        return {name} if name else set()
    return set()


def _target_names(target: nodes.Node) -> set[str]:
    return {n.name for n in target.find_all(nodes.Name)} | (
        {target.name} if isinstance(target, nodes.Name) else set()
    )


class _Analyzer:
    def __init__(self, part: str) -> None:
        self.part = part
        self.uses: list[VariableUse] = []

    def run(self, tree: nodes.Template) -> list[VariableUse]:
        self.block(tree.body, [set()], frozenset(), fallback=False)
        return self.uses

    def block(
        self,
        body: Iterable[nodes.Node],
        scope: list[set[str]],
        guards: frozenset[str],
        *,
        fallback: bool,
    ) -> None:
        for node in body:
            self.visit(node, scope, guards, fallback=fallback)

    def visit(
        self, node: nodes.Node, scope: list[set[str]], guards: frozenset[str], *, fallback: bool
    ) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and not any(node.name in s for s in scope):
                self.uses.append(
                    VariableUse(node.name, self.part, node.lineno, fallback or node.name in guards)
                )
            return
        if isinstance(node, nodes.If):
            self.visit(node.test, scope, guards, fallback=True)
            self.block(node.body, scope, guards | _truthy(node.test), fallback=fallback)
            negated = _falsy(node.test)
            for elif_ in node.elif_:
                self.visit(elif_.test, scope, guards, fallback=True)
                self.block(
                    elif_.body, scope, guards | negated | _truthy(elif_.test), fallback=fallback
                )
                negated = negated | _falsy(elif_.test)
            self.block(node.else_, scope, guards | negated, fallback=fallback)
            return
        if isinstance(node, nodes.CondExpr):
            self.visit(node.test, scope, guards, fallback=True)
            self.visit(node.expr1, scope, guards | _truthy(node.test), fallback=fallback)
            if node.expr2 is not None:
                self.visit(node.expr2, scope, guards | _falsy(node.test), fallback=fallback)
            return
        if isinstance(node, nodes.Filter):
            is_default = node.name in ("default", "d")
            if node.node is not None:
                self.visit(node.node, scope, guards, fallback=fallback or is_default)
            for child in (*node.args, *node.kwargs):
                self.visit(child, scope, guards, fallback=fallback)
            return
        if isinstance(node, nodes.Test):
            safe = node.name in ("defined", "undefined", "none")
            self.visit(node.node, scope, guards, fallback=fallback or safe)
            for child in (*node.args, *node.kwargs):
                self.visit(child, scope, guards, fallback=fallback)
            return
        if isinstance(node, nodes.For):
            self.visit(node.iter, scope, guards, fallback=fallback or bool(node.else_))
            inner = [*scope, _target_names(node.target) | {"loop"}]
            if node.test is not None:
                self.visit(node.test, inner, guards, fallback=True)
            self.block(node.body, inner, guards, fallback=fallback)
            self.block(node.else_, scope, guards, fallback=fallback)
            return
        if isinstance(node, nodes.Assign):
            self.visit(node.node, scope, guards, fallback=fallback)
            scope[-1].update(_target_names(node.target))
            return
        if isinstance(node, nodes.AssignBlock):
            if node.filter is not None:
                self.visit(node.filter, scope, guards, fallback=fallback)
            self.block(node.body, [*scope, set()], guards, fallback=fallback)
            scope[-1].update(_target_names(node.target))
            return
        if isinstance(node, nodes.With):
            for value in node.values:
                self.visit(value, scope, guards, fallback=fallback)
            names: set[str] = set()
            for target in node.targets:
                names |= _target_names(target)
            self.block(node.body, [*scope, names], guards, fallback=fallback)
            return
        if isinstance(node, nodes.FilterBlock):
            self.visit(node.filter, scope, guards, fallback=fallback)
            self.block(node.body, [*scope, set()], guards, fallback=fallback)
            return
        for child in node.iter_child_nodes():
            self.visit(child, scope, guards, fallback=fallback)


def analyze(tree: nodes.Template, part: str) -> list[VariableUse]:
    return _Analyzer(part).run(tree)


# --- compiled part ----------------------------------------------------------------------------


class JinjaPart:
    """One compiled part; ``render`` is the hot path."""

    __slots__ = ("env", "eval_ctx", "name", "root", "streamed")

    def __init__(self, name: str, env: Sandbox, root: Any, streamed: bool) -> None:
        self.name = name
        self.env = env
        self.root = root
        self.streamed = streamed
        self.eval_ctx = EvalContext(env, None)

    def render(
        self, data: Mapping[str, Any], sink: list[str], unparsed: F.Unparsed | None = None
    ) -> str:
        ctx = RenderContext(self.env, data, sink, self.eval_ctx, unparsed)
        try:
            out = _bounded_join(self.root(ctx)) if self.streamed else "".join(self.root(ctx))
        except Exception as exc:
            raise self._render_error(exc)  # noqa: B904 (its cause is set)
        if len(out) > MAX_OUTPUT:
            raise self._too_large()
        return out

    def render_chunks(
        self, data: Mapping[str, Any], sink: list[str], unparsed: F.Unparsed | None = None
    ) -> tuple[str, list[str]]:
        """Like :meth:`render`, with the pieces the output was joined from: template text as
        plain ``str`` (the same objects every render), expression output as ``Markup``."""
        ctx = RenderContext(self.env, data, sink, self.eval_ctx, unparsed)
        try:
            chunks = _bounded_list(self.root(ctx)) if self.streamed else list(self.root(ctx))
        except Exception as exc:
            raise self._render_error(exc)  # noqa: B904 (its cause is set)
        out = "".join(chunks)
        if len(out) > MAX_OUTPUT:
            raise self._too_large()
        return out, chunks

    def _too_large(self) -> TemplateRenderError:
        return TemplateRenderError(
            f"output is larger than {MAX_OUTPUT} characters",
            part=self.name,
            code="template.limit_exceeded",
        )

    def _render_error(self, exc: Exception) -> TemplateRenderError:
        """The error a failed render raises (only the unexpected ones keep their cause)."""
        cause: Exception | None = None
        if isinstance(exc, LimitExceeded):
            error = TemplateRenderError(str(exc), part=self.name, code="template.limit_exceeded")
        elif isinstance(exc, SecurityError):
            error = TemplateRenderError(str(exc), part=self.name, code="template.forbidden")
        else:
            error = TemplateRenderError(f"{type(exc).__name__}: {exc}", part=self.name)
            cause = exc
        error.__cause__ = cause
        error.__suppress_context__ = True
        return error


def _bounded_join(chunks: Iterable[str], limit: int = MAX_OUTPUT) -> str:
    return "".join(_bounded_list(chunks, limit))


def _bounded_list(chunks: Iterable[str], limit: int = MAX_OUTPUT) -> list[str]:
    buf: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise LimitExceeded(f"output is larger than {limit} characters")
        buf.append(chunk)
    return buf


def normalize_newlines(source: str) -> str:
    if "\r" in source:
        return source.replace("\r\n", "\n").replace("\r", "\n")
    return source


# Bump when the layout of a cached entry changes.
_CODE_FORMAT = 1
_CODE_SALT = orjson.dumps(
    [
        _CODE_FORMAT,
        "jinja",
        jinja2.__version__,
        brandloom_version,
        sys.implementation.cache_tag,
        importlib.util.MAGIC_NUMBER.hex(),
    ]
)
# Compiled code never goes stale (its key covers all it depends on); the LRU bound evicts it.
CODE_TTL = 24 * 3600


def code_cache_key(source: str, escaping: str) -> str:
    """Cache key of one part's compiled code: everything the code is derived from.

    The generated Python depends on the (newline-normalised) template text, on the environment
    it is compiled for (picked by ``escaping``), on the Jinja2 and brandloom versions (parser,
    code generator, validation and hardening passes) and on the interpreter's bytecode format.
    """
    digest = hashlib.sha256(_CODE_SALT)
    digest.update(escaping.encode("utf-8"))
    digest.update(b"\0")
    digest.update(source.encode("utf-8", "surrogatepass"))
    return f"jinja-code:{digest.hexdigest()}"


def _generate(
    env: Sandbox, tree: nodes.Template, source: str, part: str, origin: str | None
) -> CodeType:
    """Python code for a validated, hardened tree; a late syntax error names its line."""
    try:
        code: CodeType = env.compile(tree)
    except JinjaSyntaxError as exc:
        line = exc.lineno or 1
        quoted = _QUOTED.search(exc.message or "")
        column = column_of(source, line, quoted.group(1)) if quoted else 1
        raise TemplateSyntaxError(
            (exc.message or "invalid template").strip(),
            part=part,
            line=line,
            column=column,
            origin=origin,
        ) from None
    return code


def _cached_part(
    env: Sandbox, part: str, blob: bytes
) -> tuple[JinjaPart, list[VariableUse]] | None:
    """A part from a cache entry written by :func:`compile_part`; ``None`` if it does not fit."""
    try:
        # Entries come only from this process's own memory (a LocalCache), never from a
        # shared store, so unmarshalling them is as safe as the compile that produced them.
        fmt, streamed, raw_uses, code = marshal.loads(blob)  # noqa: S302
        if fmt != _CODE_FORMAT or not isinstance(code, CodeType) or not isinstance(streamed, bool):
            return None
        uses = [VariableUse(str(name), part, int(line), bool(fb)) for name, line, fb in raw_uses]
    except (EOFError, ValueError, TypeError):
        return None
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    return JinjaPart(part, env, template.root_render_func, streamed), uses


def compile_part(
    part: str, source: str, escaping: str, origin: str | None, *, cache: LocalCache | None = None
) -> tuple[JinjaPart, list[VariableUse]]:
    """Parse, validate, analyse, harden and compile one part.

    With a ``cache``, the compiled Python code, the variable analysis and the loop flag of a
    part that compiled before are reused, skipping parsing and code generation. The code runs
    in the same sandboxed environment either way; only a process-local cache is accepted, as
    its entries can only have been written by this process (see ``docs/architecture.md``).
    Templates that fail to compile are never cached: they fail the same way every time.
    """
    env = environment(escaping)
    source = normalize_newlines(source)
    if escaping == ESCAPE_SLOTS:
        check_slot_marks(source, part, origin)
    key = ""
    if cache is not None:
        key = code_cache_key(source, escaping)
        blob = cache.get(key)
        hit = _cached_part(env, part, blob) if blob is not None else None
        if hit is not None:
            return hit
    try:
        tree = env.parse(source)
    except JinjaSyntaxError as exc:
        raise syntax_error(env, source, exc, part, origin) from None
    validate(tree, source, part, origin, env)
    if escaping == ESCAPE_SLOTS:
        _validate_slotted(tree, source, part, origin)
    uses = analyze(tree, part)
    streamed = harden(tree, env)
    code = _generate(env, tree, source, part, origin)
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    if cache is not None:
        entry = (
            _CODE_FORMAT,
            streamed,
            tuple((u.name, u.line, u.has_fallback) for u in uses),
            code,
        )
        cache.set(key, marshal.dumps(entry), CODE_TTL)
    return JinjaPart(part, env, template.root_render_func, streamed), uses


# --- fragments: template text inside a larger document ----------------------------------------


class JinjaFragment:
    """A fragment compiled like a part, for a caller that embeds its output in a document of
    its own (a Word part's XML); see :func:`compile_fragment`. Immutable, thread-safe."""

    __slots__ = ("env", "eval_ctx", "max_output", "part", "root", "uses", "variables")

    def __init__(
        self,
        part: str,
        env: Sandbox,
        root: Any,
        *,
        variables: frozenset[str],
        uses: list[VariableUse],
        max_output: int,
    ) -> None:
        self.part = part
        self.env = env
        self.root = root
        self.variables = variables
        self.uses = uses
        self.max_output = max_output
        self.eval_ctx = EvalContext(env, None)

    def render(
        self, data: Mapping[str, Any], sink: list[str], unparsed: F.Unparsed | None = None
    ) -> str:
        """The fragment's output for ``data``; names it did not find are appended to ``sink``,
        values a filter printed unformatted to ``unparsed``.

        Raises :class:`TemplateRenderError` (sandbox violation, loop budget, output larger
        than ``max_output``, any failing operation), naming the fragment's part.
        """
        ctx = RenderContext(self.env, data, sink, self.eval_ctx, unparsed)
        try:
            return _bounded_join(self.root(ctx), self.max_output)
        except LimitExceeded as exc:
            raise TemplateRenderError(
                str(exc), part=self.part, code="template.limit_exceeded"
            ) from None
        except SecurityError as exc:
            raise TemplateRenderError(str(exc), part=self.part, code="template.forbidden") from None
        except TemplateRenderError:
            raise
        except Exception as exc:
            raise TemplateRenderError(f"{type(exc).__name__}: {exc}", part=self.part) from exc


_FRAGMENT_ENVS: dict[tuple[str, Callable[[Any], Any]], Sandbox] = {}


def _fragment_environment(escaping: str, finalize: Callable[[Any], Any] | None) -> Sandbox:
    """The sandbox of ``escaping``; with ``finalize``, a copy whose expression output goes
    through it instead (one per pair, kept for the process: compiled code refers to it)."""
    env = environment(escaping)
    if finalize is None:
        return env
    key = (escaping, finalize)
    overlay = _FRAGMENT_ENVS.get(key)
    if overlay is None:
        made = env.overlay(finalize=finalize)
        assert isinstance(made, Sandbox)  # an overlay is an instance of its parent's class
        overlay = _FRAGMENT_ENVS[key] = made
    return overlay


def compile_fragment(
    source: str,
    *,
    part: str,
    origin: str | None = None,
    escaping: str = ESCAPE_NONE,
    finalize: Callable[[Any], Any] | None = None,
    max_output: int = MAX_OUTPUT,
) -> JinjaFragment:
    """Parse, validate, analyse, harden and compile Jinja ``source`` exactly as a template
    part is compiled, in the same locked-down sandbox.

    For template text that lives inside a document of another format (the tags of a Word
    part, joined into one Jinja source by the caller). ``finalize`` replaces the sandbox's
    handling of expression output (the caller escapes for its format; pass a module-level
    function: one environment is kept per function); ``max_output`` caps one render. The
    text is taken as it is (no newline normalisation), so line and column numbers of errors,
    and the ``line`` of each variable use, count in ``source`` itself.

    Raises :class:`TemplateSyntaxError` (or :class:`TemplateSecurityError` for what the
    sandbox forbids), naming ``part`` and ``origin``.
    """
    env = _fragment_environment(escaping, finalize)
    try:
        tree = env.parse(source)
    except JinjaSyntaxError as exc:
        raise syntax_error(env, source, exc, part, origin) from None
    validate(tree, source, part, origin, env)
    variables = frozenset(meta.find_undeclared_variables(tree))
    uses = analyze(tree, part)
    harden(tree, env)
    code = _generate(env, tree, source, part, origin)
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    return JinjaFragment(
        part,
        env,
        template.root_render_func,
        variables=variables,
        uses=uses,
        max_output=max_output,
    )
