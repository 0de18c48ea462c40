"""A brand's written guidelines: the rules every draft is linted against.

The YAML keys are a contract (README, "Brand guidelines")::

    brand_name: "Lumen & Loom"
    tone: [warm, calm, confident]
    do: ["speak to one reader", "name the product"]
    dont: ["hype", "ALL CAPS"]
    banned_terms: [guaranteed, "act now"]            # or per language: {en: [...], de: [...]}
    glossary: {cheap: affordable, e-mail: email}     # or per language: {de: {billig: günstig}}
    required_disclaimers: {email: ["Terms apply."]}  # per channel; "*" for every channel
    reading_level: {max_grade: 8}
    emoji: none                                      # none | allowed | max_N
    exclamation: max_1                               # none | allowed | max_N
    formality: {de: formal, fr: formal, es: informal}

A glossary entry may also list the inflections it covers and keep its own replacement for
each: ``cheap: {use: affordable, forms: {cheaper: more affordable, cheapest: most
affordable}}`` (or ``forms: [cheaper, cheapest]``, each suggested as the base replacement).
Per-language lists and glossaries are keyed by ISO 639-1 code; ``"*"`` (or a plain list/map at
the top level) applies to every language. ``tone``, ``do`` and ``dont`` are guidance for
writers and for copy generation; the linter checks the rest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brandloom.errors import ValidationFailed
from brandloom.kit.validation import validation_messages

__all__ = [
    "GlossaryEntry",
    "Guidelines",
    "ReadingLevel",
    "load_guidelines_file",
    "parse_guidelines",
]

ALL = "*"
_POLICY = re.compile(r"^(none|allowed|max_(\d{1,4}))$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class GlossaryEntry(BaseModel):
    """A term the brand replaces: the replacement and the inflections it covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use: str = Field(min_length=1)
    forms: dict[str, str] = Field(default_factory=dict)

    @field_validator("forms", mode="before")
    @classmethod
    def _forms(cls, value: Any, info: Any) -> Any:
        if isinstance(value, list):
            base = (info.data or {}).get("use", "")
            return {str(form): base for form in value}
        return value


class ReadingLevel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_grade: float | None = Field(default=None, ge=1, le=18)


def _language_key(key: str, where: str) -> str:
    key = key.strip().lower()
    if key != ALL and not _LANGUAGE.match(key):
        raise ValueError(f"{where} keys are ISO 639-1 language codes or '*', not {key!r}")
    return key


class Guidelines(BaseModel):
    """Validated guidelines; per-language fields are normalized to ``{language or '*': ...}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    brand_name: str | None = None
    tone: list[str] = Field(default_factory=list)
    do_: list[str] = Field(default_factory=list, alias="do")
    dont: list[str] = Field(default_factory=list)
    banned_terms: dict[str, list[str]] = Field(default_factory=dict)
    glossary: dict[str, dict[str, GlossaryEntry]] = Field(default_factory=dict)
    required_disclaimers: dict[str, list[str]] = Field(default_factory=dict)
    reading_level: ReadingLevel = Field(default_factory=ReadingLevel)
    emoji: str = "allowed"
    exclamation: str = "allowed"
    formality: dict[str, Literal["formal", "informal", "none"]] = Field(default_factory=dict)

    @field_validator("brand_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None

    @field_validator("banned_terms", mode="before")
    @classmethod
    def _banned(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, list):
            return {ALL: value}
        if isinstance(value, dict):
            return {_language_key(str(k), "banned_terms"): v for k, v in value.items()}
        return value

    @field_validator("banned_terms")
    @classmethod
    def _banned_clean(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [t.strip() for t in terms if t.strip()] for k, terms in value.items()}

    @field_validator("glossary", mode="before")
    @classmethod
    def _glossary(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return value
        # a value that is text or an entry ({use: ...}) is a term for every language; any
        # other mapping is one language's glossary
        out: dict[str, dict[str, Any]] = {}
        for key, item in value.items():
            if isinstance(item, str) or (isinstance(item, dict) and "use" in item):
                out.setdefault(ALL, {})[str(key)] = item
            elif isinstance(item, dict):
                language = _language_key(str(key), "glossary")
                out.setdefault(language, {}).update({str(k): v for k, v in item.items()})
            else:
                raise ValueError(
                    f"glossary.{key}: a replacement (text), {{use: ..., forms: ...}}, or a "
                    "language's glossary"
                )
        return {
            language: {
                term: {"use": entry} if isinstance(entry, str) else entry
                for term, entry in terms.items()
            }
            for language, terms in out.items()
        }

    @field_validator("required_disclaimers", mode="before")
    @classmethod
    def _disclaimers(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, list):
            return {ALL: value}
        if isinstance(value, dict):
            return {str(k): [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("emoji", "exclamation", mode="before")
    @classmethod
    def _policy(cls, value: Any) -> Any:
        if value is None:
            return "allowed"
        if value is False:
            return "none"
        if value is True:
            return "allowed"
        text = str(value).strip().lower()
        if not _POLICY.match(text):
            raise ValueError(f"'none', 'allowed' or 'max_N' (say max_1), not {value!r}")
        return text

    @field_validator("formality", mode="before")
    @classmethod
    def _formality(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_language_key(str(k), "formality"): v for k, v in value.items()}
        return value

    # -- reading -------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """The guidelines as JSON-able data (``parse_guidelines`` reads it back as is)."""
        return self.model_dump(mode="json", by_alias=True)

    def terms_for(self, language: str | None) -> list[str]:
        """Banned terms for ``language`` (every language's when it is unknown)."""
        return _for_language(self.banned_terms, language)

    def glossary_for(self, language: str | None) -> dict[str, GlossaryEntry]:
        """The glossary for ``language``: the language's own entries over the ``*`` ones."""
        out: dict[str, GlossaryEntry] = dict(self.glossary.get(ALL, {}))
        if language is None:
            for key, terms in self.glossary.items():
                if key != ALL:
                    out.update(terms)
        else:
            out.update(self.glossary.get(language, {}))
        return out

    def disclaimers_for(self, channel: str | None) -> list[str]:
        found = list(self.required_disclaimers.get(ALL, ()))
        if channel is not None:
            found.extend(self.required_disclaimers.get(channel, ()))
        return found

    @staticmethod
    def limit(policy: str) -> int | None:
        """The most emoji or exclamation marks a policy allows; None for ``allowed``."""
        if policy == "allowed":
            return None
        if policy == "none":
            return 0
        return int(policy.removeprefix("max_"))


def _for_language(table: dict[str, list[str]], language: str | None) -> list[str]:
    if language is None:
        return [term for terms in table.values() for term in terms]
    return [*table.get(ALL, ()), *table.get(language, ())]


def parse_guidelines(data: object, *, source: str) -> Guidelines:
    """Validate guidelines data (a mapping); errors name ``source`` and each bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed(
            f"{source}: guidelines must be a mapping of keys (brand_name, tone, glossary, ...)",
            code="brand.invalid_guidelines",
        )
    try:
        return Guidelines.model_validate(data)
    except ValidationError as exc:
        lines = validation_messages(exc, model=Guidelines)
        raise ValidationFailed(
            f"{source}: " + "; ".join(lines),
            code="brand.invalid_guidelines",
            details={"errors": lines},
        ) from None


def load_guidelines_file(path: Path) -> Guidelines:
    """Read a guidelines YAML file; errors name the file (and line for YAML syntax)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed(
            f"{path}: cannot read the guidelines file ({exc.strerror or exc})",
            code="brand.invalid_guidelines",
        ) from None
    except UnicodeDecodeError:
        raise ValidationFailed(
            f"{path}: the guidelines file is not UTF-8 text", code="brand.invalid_guidelines"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed(
            f"{path}: not valid YAML{where}", code="brand.invalid_guidelines"
        ) from None
    return parse_guidelines(data, source=str(path))
