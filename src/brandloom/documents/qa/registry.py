"""The registered QA checks, their issue codes, and the ``qa:`` settings model composed from them.

Checks run in registration order and their issues are reported in that order. The built-in
checks register when :mod:`brandloom.documents.qa` is imported; a new check registers its
:class:`~brandloom.documents.qa.base.QACheckDefinition` with :func:`register_check` (for
example at the end of its own module, imported by the package).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from brandloom.documents.qa.base import QACheckDefinition, Severity

__all__ = [
    "ISSUE_CODES",
    "config_model",
    "register_check",
    "registered_checks",
    "settings_reference",
]

#: Every registered issue code with its default level (kept current by :func:`register_check`).
ISSUE_CODES: dict[str, str] = {}

_checks: list[QACheckDefinition[Any]] = []
_model: type[BaseModel] | None = None


def register_check(definition: QACheckDefinition[Any]) -> QACheckDefinition[Any]:
    """Add a check: its codes become valid in ``severity:``, its settings in ``qa:``, and every
    :class:`~brandloom.documents.qa.QAChecker` built afterwards runs it. Returns ``definition``.

    Raises ValueError when its name, a code or a settings key is already taken.
    """
    global _model
    taken_keys = {"severity"}
    for other in _checks:
        taken_keys.update(other.config.model_fields if other.flat else (other.name,))
        if other.name == definition.name:
            raise ValueError(f"a QA check named {definition.name!r} is already registered")
    clashes = sorted(set(definition.codes) & set(ISSUE_CODES))
    if clashes:
        raise ValueError(f"QA issue code(s) already registered: {', '.join(clashes)}")
    keys = set(definition.config.model_fields) if definition.flat else {definition.name}
    clashes = sorted(keys & taken_keys)
    if clashes:
        raise ValueError(f"qa: key(s) already taken: {', '.join(clashes)}")
    if definition.config.model_config.get("extra") != "forbid":
        # Unknown keys must stay errors, also inside a check's own section.
        raise ValueError(f"the settings of QA check {definition.name!r} must forbid extra keys")
    _checks.append(definition)
    ISSUE_CODES.update(definition.codes)
    _model = None
    return definition


def registered_checks() -> tuple[QACheckDefinition[Any], ...]:
    """The registered checks, in the order they run."""
    return tuple(_checks)


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _known_codes(cls: type[BaseModel], value: dict[str, Severity]) -> dict[str, Severity]:
    unknown = sorted(set(value) - set(ISSUE_CODES))
    if unknown:
        raise ValueError(
            f"unknown QA issue code(s): {', '.join(unknown)}; "
            f"known: {', '.join(sorted(ISSUE_CODES))}"
        )
    return value


def config_model() -> type[BaseModel]:
    """The pydantic model of the ``qa:`` section for the checks registered now.

    The flat checks' settings models are its bases (so their fields, defaults and validators
    are its own, in registration order), every other check's model is a field under the
    check's name, and ``severity`` (per-code overrides, checked against :data:`ISSUE_CODES`)
    comes last. Unknown keys are errors at every level. Built again after a registration.
    """
    global _model
    if _model is None:
        # Pydantic collects the fields of multiple bases starting from the last one.
        bases = tuple(reversed([d.config for d in _checks if d.flat])) or (_Settings,)
        nested: dict[str, Any] = {
            d.name: (d.config, Field(default_factory=d.config)) for d in _checks if not d.flat
        }
        _model = create_model(
            "QAConfig",
            __base__=bases,
            __module__=__name__,
            __validators__={"_known_codes": field_validator("severity")(_known_codes)},
            **nested,
            severity=(
                dict[str, Severity],
                Field(
                    default_factory=dict,
                    description="per-code overrides (fail | warn | off), "
                    "e.g. {image.missing_alt: fail}",
                ),
            ),
        )
    return _model


_COMMENT_COLUMN = 34


def _line(indent: str, key: str, value: str, comment: str | None) -> str:
    line = f"{indent}{key}:{' ' + value if value else ''}"
    if comment:
        line = f"{line.ljust(_COMMENT_COLUMN - 1)} # {comment}"
    return line


def _model_lines(model: BaseModel, indent: str) -> list[str]:
    lines = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            if not type(value).model_fields:
                continue  # a check without settings (its codes are listed in the README)
            lines.append(_line(indent, name, "", info.description))
            lines.extend(_model_lines(value, indent + "  "))
        else:
            flow = orjson.dumps(value).decode().replace('","', '", "')
            lines.append(_line(indent, name, flow, info.description))
    return lines


def settings_reference() -> str:
    """The ``qa:`` section with every registered check's default settings, as YAML with a
    comment per documented field: the README's spec reference shows exactly this."""
    lines = [_line("", "qa", "", "per-document checks (defaults shown)")]
    lines.extend(_model_lines(config_model()(), "  "))
    return "\n".join(lines) + "\n"
