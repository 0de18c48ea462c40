"""Errors raised while compiling, checking and rendering templates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from brandloom.errors import BrandloomError
from brandloom.kit.validation import closest

if TYPE_CHECKING:
    from brandloom.templates.engine import VariableUse


class TemplateError(BrandloomError):
    """Base of every template error (bad part name, unknown engine, ...)."""

    code = "template.invalid"
    status = 422


def _location(part: str, origin: str | None, line: int, column: int) -> str:
    where = f"{part} ({origin})" if origin else part
    return f"{where} line {line}, column {column}"


class TemplateSyntaxError(TemplateError):
    """A part does not parse (or uses something the sandbox forbids, see the subclass)."""

    code = "template.syntax_error"

    def __init__(
        self,
        reason: str,
        *,
        part: str,
        line: int,
        column: int,
        origin: str | None = None,
        code: str | None = None,
    ) -> None:
        self.part = part
        self.line = line
        self.column = column
        self.origin = origin
        self.reason = reason
        super().__init__(
            f"{_location(part, origin, line, column)}: {reason}",
            code=code,
            details={
                "part": part,
                "line": line,
                "column": column,
                "origin": origin,
                "reason": reason,
            },
        )


class TemplateSecurityError(TemplateSyntaxError):
    """The template tries something the sandbox does not allow (found at compile time)."""

    code = "template.forbidden"


class TemplateVariableError(TemplateError):
    """Variables are used without a fallback but the data does not provide them."""

    code = "template.unknown_variable"

    def __init__(
        self,
        missing: list[VariableUse],
        *,
        available: Iterable[str] = (),
        origins: Mapping[str, str] | None = None,
        engine: str = "jinja",
    ) -> None:
        self.missing = missing
        known = sorted(set(available))
        origins = origins or {}

        def where(use: VariableUse) -> str:
            origin = origins.get(use.part)
            file = f", {origin}" if origin and origin != "inline" else ""
            return f"{use.part}{file} line {use.line}"

        entries = []
        for use in missing:
            guess = closest(use.name, known)
            hint = f" (did you mean `{guess}`?)" if guess else ""
            entries.append(f"{use.name} ({where(use)}){hint}")
        noun = "a variable" if len(missing) == 1 else "variables"
        message = f"the template uses {noun} the data does not provide: {'; '.join(entries)}"
        if known:
            message += f". Available variables: {', '.join(known)}"
        if missing:
            fallback = (
                f"{{{{ {missing[0].name} | default: '' }}}}"
                if engine == "liquid"
                else f"{{{{ {missing[0].name} | default('') }}}}"
            )
            message += f". For a value some contacts may lack, give a fallback: {fallback}"
        details: dict[str, Any] = {
            "missing": [
                {"name": u.name, "part": u.part, "line": u.line, "origin": origins.get(u.part)}
                for u in missing
            ],
            "available": known,
        }
        super().__init__(message, details=details)


class TemplateRenderError(TemplateError):
    """Rendering one document failed (sandbox violation, resource limit, bad operation)."""

    code = "template.render_error"

    def __init__(self, reason: str, *, part: str, code: str | None = None) -> None:
        self.part = part
        self.reason = reason
        super().__init__(f"{part}: {reason}", code=code, details={"part": part, "reason": reason})
