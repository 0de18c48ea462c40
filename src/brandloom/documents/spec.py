"""The render job spec (SPEC.yaml): what to render, for whom, in which formats, with which checks.

Relative paths resolve against the spec file's folder. Template parts are inline text or file
paths; a value that names a template file by its extension is read from disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from brandloom.audiences.types import ColumnType
from brandloom.documents.formats.registry import format_names
from brandloom.documents.qa import QAConfig
from brandloom.errors import BrandloomError
from brandloom.jobs.threshold import ErrorThreshold
from brandloom.kit.address import InvalidAddress, parse_address, parse_mailbox
from brandloom.kit.locale import parse_locale
from brandloom.kit.validation import closest, validation_messages
from brandloom.templates.parts import TEXT_PARTS, check_locale_parts

TEMPLATE_FILE_SUFFIXES = (
    ".html",
    ".htm",
    ".txt",
    ".md",
    ".typ",
    ".typst",
    ".j2",
    ".jinja",
    ".jinja2",
    ".liquid",
)
SINKS = ("dir", "zip", "jsonl")


class SpecError(BrandloomError):
    code = "spec.invalid"
    status = 422


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AudienceSpec(_Strict):
    path: str | None = None
    key: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list)
    format: Literal["csv", "tsv", "jsonl", "xlsx"] | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    # variable name -> type; undeclared columns stay text (nothing is inferred)
    types: dict[str, ColumnType] = Field(default_factory=dict)
    locale: str | None = None  # how typed numbers and dates are written in the file ("de-DE")
    date_format: str | None = None  # "dd.MM.yyyy" (CLDR) or "%d.%m.%Y" (strftime)
    datetime_format: str | None = None


class TemplateSpec(_Strict):
    engine: Literal["jinja", "liquid"] | None = None
    subject: str | None = None
    preheader: str | None = None
    html: str | None = None
    text: str | None = None
    markdown: str | None = None
    sms: str | None = None
    pdf: str | None = None
    typst: str | None = None  # a full PDF layout: Typst with template tags (letters, statements)
    docx: str | None = None
    # files (or folders of them) the typst part places: #image("logo.png")
    assets: list[str] | None = None
    # locale -> a catalog file (YAML, JSON or gettext .po) or the catalog inline (key -> message)
    messages: dict[str, str | dict[str, Any]] | None = None
    # locale -> parts that differ in that locale ({ja: {subject: ...}})
    locales: dict[str, dict[str, str]] | None = None

    @field_validator("locales")
    @classmethod
    def _locale_parts(cls, value: dict[str, dict[str, str]] | None) -> Any:
        return check_locale_parts(value)

    def text_parts(self) -> dict[str, str]:
        return {p: v for p in TEXT_PARTS if (v := getattr(self, p)) is not None}


class VariantSpec(BaseModel):
    """A named variant: a weight plus overrides of template parts (``subject``, ``html``, ...)."""

    model_config = ConfigDict(extra="allow")

    name: str
    weight: float = 1.0
    # locale -> key -> message: the keys this variant says differently (catalogs are shared)
    messages: dict[str, dict[str, Any]] | None = None

    @field_validator("weight")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("weight must be > 0")
        return value

    @model_validator(mode="after")
    def _known_parts(self) -> VariantSpec:
        for part in self.overrides():
            if part not in TEXT_PARTS:
                guess = closest(part, [*TEXT_PARTS, "name", "weight", "messages"])
                hint = f"did you mean `{guess}`? " if guess else ""
                raise ValueError(
                    f"unknown field `{part}`; {hint}(a variant overrides: {', '.join(TEXT_PARTS)})"
                )
        return self

    def overrides(self) -> dict[str, str]:
        extra = self.model_extra or {}
        return {k: str(v) for k, v in extra.items()}


class EmailSpec(_Strict):
    """The sender of ``eml`` outputs. ``from`` and ``reply_to`` are RFC 5322 mailboxes
    (``hello@example.com`` or ``Lumen <hello@example.com>``), checked by the address rules of
    :mod:`brandloom.kit.address` when the spec is read, so a bad sender never starts a job."""

    from_: str | None = Field(default=None, alias="from")
    from_name: str | None = None
    reply_to: str | None = None
    unsubscribe_url: str | None = None
    unsubscribe_mailto: str | None = None
    # RFC 5322 Date of every message (and PDF/DOCX creation date); default: the job's creation
    # time, recorded with the job.
    date: str | None = None

    @field_validator("from_", "reply_to")
    @classmethod
    def _mailbox(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            parse_mailbox(value)
        except InvalidAddress as exc:
            raise ValueError(f"{value!r} is not a valid address: {exc.reason}") from None
        return value.strip()

    @field_validator("from_name")
    @classmethod
    def _one_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        sender = info.data.get("from_")
        if value is not None and sender is not None:
            display = parse_mailbox(sender).display_name
            if display is not None:
                raise ValueError(
                    f"email.from already names the sender ({display!r}): give the name once, "
                    "in email.from or in email.from_name"
                )
        return value

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _mailto(cls, value: str | None) -> str | None:
        if value is None:
            return None
        raw = value.strip()
        target = raw[7:] if raw[:7].lower() == "mailto:" else raw
        try:
            parse_address(target.partition("?")[0])
        except InvalidAddress as exc:
            raise ValueError(f"{value!r} is not a valid address: {exc.reason}") from None
        return value


@dataclass(frozen=True, slots=True)
class BrandUse:
    """The brands a render spec names: its own ``brand:`` (layouts, ``brand_rules``) and the
    one ``qa.voice`` scores against."""

    brand: str | None
    rules: bool
    voice: bool
    voice_brand: str | None

    @property
    def rules_brand(self) -> str | None:
        return self.brand

    def names(self) -> dict[str, tuple[bool, bool]]:
        """Each brand named -> (its guidelines are needed, its voice is needed)."""
        found: dict[str, tuple[bool, bool]] = {}
        if self.brand:
            found[self.brand] = (self.rules, False)
        if self.voice and self.voice_brand:
            guidelines, _ = found.get(self.voice_brand, (False, False))
            found[self.voice_brand] = (guidelines, True)
        return found


class ExperimentWeights(_Strict):
    """``variant_weights: {experiment: ID}``: the current allocation of a stored experiment."""

    experiment: str = Field(min_length=1, max_length=200)


class RenderOptions(_Strict):
    """How a render job renders: everything but where its audience and template come from.

    Shared by the spec file (:class:`JobSpec`) and the API request (:class:`RenderSpec`): each
    field is defined and validated once.
    """

    name: str = Field(min_length=1, max_length=500)
    locale: str = "en-US"
    variants: list[VariantSpec] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=lambda: ["html", "txt"])
    sink: Literal["dir", "zip", "jsonl"] = "dir"
    qa: QAConfig = Field(default_factory=QAConfig)
    email: EmailSpec = Field(default_factory=EmailSpec)
    seed: int | str = 0
    chunk_size: int = Field(default=1000, ge=10, le=100_000)
    error_threshold: ErrorThreshold | None = Field(default_factory=ErrorThreshold)
    brand: str | None = Field(default=None, min_length=1, max_length=200)
    # How traffic splits between the variants: their own weights (unset), ``predicted`` (the
    # predictor scores the part the variants differ in) or an experiment's current allocation.
    variant_weights: Literal["predicted"] | ExperimentWeights | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        # Contacts' locales are checked the same way when their audience is imported.
        if parse_locale(value) is None:
            raise ValueError(f"{value!r} is not a locale CLDR knows (like en-US, de-DE, pt-BR)")
        return value

    @field_validator("outputs")
    @classmethod
    def _outputs(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one output format is required")
        known = format_names()  # the registered formats, read at validation time
        unknown = [f for f in value if f not in known]
        if unknown:
            raise ValueError(f"unknown format(s) {unknown}; choose from {list(known)}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        if self.variant_weights is not None and len(names) == 1:
            raise ValueError("variant_weights needs at least two variants")
        if "eml" in self.outputs and not self.email.from_:
            raise ValueError("output 'eml' needs email.from")
        brands = self.brands()
        if brands.rules and not brands.rules_brand:
            raise ValueError("qa.brand_rules needs a brand: name it with brand: NAME")
        if brands.voice and not brands.voice_brand:
            raise ValueError("qa.voice needs a brand: qa.voice.brand or the spec's brand")
        return self

    def brands(self) -> BrandUse:
        """Which brands the spec names and what its checks need of them."""
        from brandloom.documents.qa import brand as brand_checks

        rules = self.qa.settings_for(brand_checks.RULES_CHECK).brand_rules
        voice = self.qa.settings_for(brand_checks.VOICE_CHECK)
        scored = voice.min_score is not None or voice.fail_below is not None
        return BrandUse(
            brand=self.brand,
            rules=rules,
            voice=scored,
            voice_brand=voice.brand or self.brand,
        )

    def options(self) -> dict[str, Any]:
        """The render options alone, as JSON (what a job stores as its spec)."""
        return self.model_dump(mode="json", by_alias=True, include=set(RenderOptions.model_fields))


class ProviderSpec(_Strict):
    """Who writes a ``brief:``'s template: offline, openai or anthropic, and the model."""

    name: Literal["offline", "openai", "anthropic"]
    model: str | None = Field(default=None, max_length=200)


class JobSpec(RenderOptions):
    """The spec file (SPEC.yaml): the audience as a file, template parts inline or as files.

    Resolved at the CLI's edge (files read, the audience imported, the template stored) into a
    :class:`RenderSpec`, the one spec the services take.
    """

    audience: AudienceSpec
    template: TemplateSpec | None = None
    # Single-query bulk: a brief (a YAML/JSON file or inline) the provider writes the template
    # from (``generation.flows``), instead of ``template``.
    brief: str | dict[str, Any] | None = None
    provider: ProviderSpec | None = None

    @model_validator(mode="after")
    def _template_or_brief(self) -> Self:
        if (self.template is None) == (self.brief is None):
            raise ValueError("give exactly one of template (the parts) or brief (to write them)")
        return self


class RenderSpec(RenderOptions):
    """A render job as the services take it (and ``POST /v1/jobs`` accepts it): the audience by
    id, the template by id or as inline parts, variants inline."""

    audience_id: str
    template_id: str | None = None
    template: TemplateSpec | None = None

    @model_validator(mode="after")
    def _one_template(self) -> Self:
        if (self.template_id is None) == (self.template is None):
            raise ValueError("give exactly one of template_id or template (inline parts)")
        if self.template is not None and self.template.docx is not None:
            raise ValueError("template.docx: upload Word templates through a stored template")
        if self.template is not None and self.template.assets:
            raise ValueError("template.assets: upload assets with a stored template")
        return self


def _format_validation_error(exc: ValidationError, origin: str) -> str:
    return "\n".join(f"{origin}: {line}" for line in validation_messages(exc, model=JobSpec))


def load_spec(path: Path) -> tuple[JobSpec, Path]:
    """Read and validate SPEC.yaml; returns the spec and the folder relative paths start from."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}", code="spec.not_found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec {path}: {exc}", code="spec.unreadable") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: invalid YAML: {exc}", code="spec.invalid_yaml") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the spec must be a mapping of fields")
    return parse_spec(raw, origin=str(path)), path.resolve().parent


def parse_spec(raw: dict[str, Any], *, origin: str = "spec") -> JobSpec:
    try:
        return JobSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_format_validation_error(exc, origin)) from None


_LOOKS_LIKE_PATH = re.compile(r"^[^\n{}<>%]+$")


def resolve_part(value: str, base: Path, *, part: str) -> tuple[str, str]:
    """Inline text or a file path: returns (text, origin)."""
    candidate = value.strip()
    if _LOOKS_LIKE_PATH.match(candidate) and candidate.lower().endswith(TEMPLATE_FILE_SUFFIXES):
        file = (base / candidate).resolve()
        try:
            return file.read_text(encoding="utf-8"), str(file)
        except FileNotFoundError:
            raise SpecError(
                f"template.{part}: file not found: {file}", code="spec.file_not_found"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"template.{part}: cannot read {file}: {exc}") from None
    return value, "inline"


def resolve_path(value: str, base: Path) -> Path:
    return (base / value).resolve()
