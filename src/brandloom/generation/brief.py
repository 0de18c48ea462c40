"""A brief: what to write, for whom, where and in which languages (YAML/JSON file or API body).

The keys are the contract (docs/generation.md lists them with examples)::

    brand: acme                 # optional: a brand in the workspace
    product: "Acme Trail Runner 2"
    offer: "20% off until Sunday"
    audience: "urban runners, 25-40, training for their first half marathon"
    goal: "click through to the product page"
    cta: "Shop the Trail Runner"
    key_messages: ["lighter by 80 g", "grip on wet rock"]
    must_include: {en: ["free returns"], de: ["kostenlose Rücksendung"]}   # or a list
    must_avoid: ["cheap", "guaranteed"]
    target_emotions: ["excitement", "achievement"]   # GoEmotions labels or motivators
    tone: ["energetic", "friendly"]
    channels: ["email", "social:instagram", ...]
    locales: ["en-US", "de-DE"]
    n: 3

Added here: ``url`` (the link the copy points to), ``provider: {name, model}`` (who writes),
``sms_segments`` (SMS segments allowed, default 1), ``notes`` (free context for the writer) and
``translations`` (per language, the brief's own texts in that language:
``{de: {offer: "20 % Rabatt bis Sonntag", cta: "Jetzt ansehen"}}``) and ``segments`` (for
single-query bulk: ``{column: tier, values: {gold: "members with 5,000+ points"}}``).
Every text in a brief is data for the writer, never an instruction to it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from brandloom.errors import ValidationFailed
from brandloom.generation.channels import CHANNELS
from brandloom.kit.validation import validation_messages

ALL_LANGUAGES = "*"
MAX_N = 10
MAX_TEXT = 2_000  # characters in any one brief text
MAX_LIST = 20  # items in any one brief list


EXAMPLE: dict[str, Any] = {
    "brand": "acme",
    "product": "Acme Trail Runner 2",
    "offer": "20% off until Sunday",
    "audience": "urban runners, 25-40, training for their first half marathon",
    "goal": "click through to the product page",
    "cta": "Shop the Trail Runner",
    "key_messages": ["lighter by 80 g", "grip on wet rock"],
    "must_include": {"en": ["free returns"], "de": ["kostenlose Rücksendung"]},
    "must_avoid": ["cheap", "guaranteed"],
    "target_emotions": ["excitement", "achievement"],
    "tone": ["energetic", "friendly"],
    "channels": [
        "email",
        "social:instagram",
        "social:x",
        "social:linkedin",
        "ad:google_search",
        "sms",
        "push",
        "landing",
    ],
    "locales": ["en-US", "de-DE", "es-ES", "fr-FR"],
    "n": 3,
}
"""The brief of the module docstring, as data (documentation, tests and benchmarks use it)."""


class BriefError(ValidationFailed):
    code = "brief.invalid"


ProviderName = Literal["offline", "openai", "anthropic"]


class ProviderChoice(BaseModel):
    """Who writes: ``name`` and, for LLM providers, ``model`` (else the provider's default)."""

    model_config = ConfigDict(extra="forbid")

    name: ProviderName
    model: str | None = Field(default=None, max_length=200)


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise ValueError(f"at most {MAX_TEXT} characters")
    return value


_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
_SEGMENT_VALUE = re.compile(r"^[^'\"\\{}%<>\n]{1,100}$")


class BriefSegments(BaseModel):
    """Segments of a single-query bulk campaign: an audience column and, per value of it, who
    those contacts are (``{column: tier, values: {gold: "members with 5,000+ points"}}``).
    Each segment gets its own subject, preheader and opening paragraph in every catalog;
    contacts with another value get the general copy."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    column: str = Field(min_length=1, max_length=64)
    values: dict[str, str] = Field(min_length=1, max_length=10)

    @field_validator("column")
    @classmethod
    def _column(cls, value: str) -> str:
        if not _COLUMN.match(value):
            raise ValueError(f"{value!r} is not a variable name (first_name, tier, ...)")
        return value

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, str]) -> dict[str, str]:
        for key, description in value.items():
            if not _SEGMENT_VALUE.match(str(key)):
                raise ValueError(
                    f"{key!r}: a segment value is 1-100 characters without quotes, braces, "
                    "%, < or >"
                )
            if not str(description).strip() or len(str(description)) > 500:
                raise ValueError(f"{key!r}: describe the segment in 1-500 characters")
        return value


class BriefTexts(BaseModel):
    """A brief's own texts in one language (``translations: {de: {offer: ...}}``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    offer: str | None = Field(default=None, max_length=MAX_TEXT)
    audience: str | None = Field(default=None, max_length=MAX_TEXT)
    goal: str | None = Field(default=None, max_length=MAX_TEXT)
    cta: str | None = Field(default=None, max_length=200)
    key_messages: list[str] | None = Field(default=None, max_length=MAX_LIST)


class Brief(BaseModel):
    """A validated brief (see the module docstring for the keys)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    brand: str | None = Field(default=None, max_length=200)
    product: str = Field(min_length=1, max_length=MAX_TEXT)
    offer: str | None = Field(default=None, max_length=MAX_TEXT)
    audience: str | None = Field(default=None, max_length=MAX_TEXT)
    goal: str | None = Field(default=None, max_length=MAX_TEXT)
    cta: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2_000)
    key_messages: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    must_include: dict[str, list[str]] = Field(default_factory=dict)
    must_avoid: list[str] = Field(default_factory=list, max_length=100)
    target_emotions: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    tone: list[str] = Field(default_factory=list, max_length=MAX_LIST)
    channels: list[str] = Field(default_factory=lambda: ["email"], min_length=1, max_length=20)
    locales: list[str] = Field(default_factory=lambda: ["en-US"], min_length=1, max_length=40)
    n: int = Field(default=3, ge=1, le=MAX_N)
    sms_segments: int = Field(default=1, ge=1, le=10)
    notes: str | None = Field(default=None, max_length=MAX_TEXT)
    provider: ProviderChoice | None = None
    # language -> the brief's own texts in that language (product, offer, audience, goal, cta,
    # key_messages): copy for that language uses them instead of the defaults above
    translations: dict[str, BriefTexts] = Field(default_factory=dict)
    # single-query bulk: copy per segment of the audience (see BriefSegments)
    segments: BriefSegments | None = None

    @field_validator("key_messages", "must_avoid", "target_emotions", "tone", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            value = [_text(v) for v in value]
            if any(isinstance(v, str) and not v for v in value):
                raise ValueError("empty text in the list")
            if any(isinstance(v, str) and len(v) > 500 for v in value):
                raise ValueError("an item is over 500 characters")
        return value

    @field_validator("must_include", mode="before")
    @classmethod
    def _must_include(cls, value: Any) -> Any:
        """A list applies to every language (``*``); a mapping is per language code."""
        if value is None:
            return {}
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return {ALL_LANGUAGES: value}
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, terms in value.items():
                code = str(key).strip().replace("_", "-").lower()
                if code != ALL_LANGUAGES:
                    code = code.split("-", 1)[0]
                    if not code.isalpha() or not 2 <= len(code) <= 3:
                        raise ValueError(f"{key!r} is not a language code (en, de, ...) or *")
                if isinstance(terms, str):
                    terms = [terms]
                out.setdefault(code, []).extend(terms if isinstance(terms, list) else [terms])
            return out
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.match(r"^https?://[^\s{}<>\"']+$", value):
            raise ValueError("expected an http:// or https:// link without spaces or braces")
        return value

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for name in value:
            name = name.strip().lower()
            if name not in CHANNELS:
                raise ValueError(f"unknown channel {name!r}; known: {', '.join(CHANNELS)}")
            if name not in out:
                out.append(name)
        return out

    @field_validator("locales")
    @classmethod
    def _locales(cls, value: list[str]) -> list[str]:
        from babel import Locale, UnknownLocaleError

        out: list[str] = []
        for tag in value:
            tag = tag.strip().replace("_", "-")
            try:
                Locale.parse(tag, sep="-")
            except (ValueError, UnknownLocaleError):
                raise ValueError(f"{tag!r} is not a locale (en-US, de-DE, ...)") from None
            if tag not in out:
                out.append(tag)
        return out

    @field_validator("target_emotions")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        if not value:
            return value
        from brandloom.analysis.resonance import UnknownTargetError, canonical_targets

        try:
            return canonical_targets(value)
        except UnknownTargetError as exc:
            raise ValueError(exc.message) from None

    @model_validator(mode="after")
    def _sizes(self) -> Brief:
        for terms in self.must_include.values():
            if any(not isinstance(t, str) or not t.strip() for t in terms):
                raise ValueError("must_include: every term must be a non-empty text")
        return self

    @field_validator("translations", mode="before")
    @classmethod
    def _translations(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, texts in value.items():
            code = str(key).strip().replace("_", "-").lower().split("-", 1)[0]
            if not code.isalpha() or not 2 <= len(code) <= 3:
                raise ValueError(f"{key!r} is not a language code (en, de, ...)")
            out[code] = texts
        return out

    def localized(self, language: str) -> Brief:
        """The brief with its texts in ``language`` where ``translations`` has them."""
        texts = self.translations.get(language)
        if texts is None:
            return self
        changes = {k: v for k, v in texts.model_dump().items() if v is not None}
        return self.model_copy(update=changes)

    def must_include_for(self, language: str) -> list[str]:
        """The terms copy in ``language`` must contain (``*`` terms, then the language's)."""
        return [*self.must_include.get(ALL_LANGUAGES, ()), *self.must_include.get(language, ())]

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def parse_brief(data: object, *, source: str = "brief") -> Brief:
    """Validate brief data (a mapping); errors name ``source`` and each bad field."""
    if not isinstance(data, dict):
        raise BriefError(f"{source}: a brief must be a mapping of keys (product, channels, ...)")
    try:
        return Brief.model_validate(data)
    except ValidationError as exc:
        lines = validation_messages(exc, model=Brief)
        raise BriefError(f"{source}: " + "; ".join(lines), details={"errors": lines}) from None


def load_brief_file(path: Path) -> Brief:
    """Read a brief from a YAML or JSON file; errors name the file (and the line of a syntax
    error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BriefError(f"{path}: cannot read the brief ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BriefError(f"{path}: the brief is not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise BriefError(f"{path}: not valid JSON ({exc})") from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise BriefError(f"{path}: not valid YAML{where}") from None
    return parse_brief(data, source=str(path))
