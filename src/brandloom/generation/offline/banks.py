"""The offline writer's phrase banks: one YAML file per language in ``banks/``.

A bank holds *moves* (the rhetorical steps the frameworks are made of: ``hook``, ``problem``,
``present``, ``offer``, ``close`` ...), lines per target emotion and per motivator, counted
phrases (a form per CLDR plural category) and a few settings (``meta``). Every entry is a
template whose ``{fields}`` are filled with the brief's own texts, verbatim::

    present:
      - "Lernen Sie {product} kennen. || Lerne {product} kennen."
      - "[energetic,playful] Bühne frei für {product}!"

``A || B`` gives the formal and the informal register (one text serves both); a leading
``[tone,...]`` limits the line to briefs in those tone families. A counted phrase maps plural
categories to templates (``{one: ..., other: ...}``) and takes ``{count}``.

Files are parsed once per process (``raw_bank``); the view a writing context needs -- one
register, glossary applied, lines with a banned term removed, French spacing -- is built once
per distinct context (``prepared_bank``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from brandloom.documents.formats.sms import GSM7_BASIC, GSM7_EXTENSION

BANK_DIR = Path(__file__).with_name("banks")
LANGUAGES: tuple[str, ...] = ("de", "en", "es", "fr", "it", "pt")

TONE_FAMILIES: tuple[str, ...] = (
    "energetic",
    "friendly",
    "calm",
    "professional",
    "luxurious",
    "playful",
)

_FIELD = re.compile(r"\{(\w+)\}")
_TAGS = re.compile(r"^\[([a-z_,\s]+)\]\s*")
_GSM = GSM7_BASIC | GSM7_EXTENSION
# What SMS copy writes instead of typographic marks outside the GSM 03.38 alphabet.
_SMS_PLAIN = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u201e": '"',
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2192": "->",
    }
)


class BankError(ValueError):
    """A phrase bank file that does not follow the syntax (a packaging bug, never user input)."""


@dataclass(frozen=True, slots=True)
class RawLine:
    formal: str
    informal: str
    tones: frozenset[str]


@dataclass(frozen=True, slots=True)
class RawBank:
    language: str
    meta: Mapping[str, Any]
    moves: Mapping[str, tuple[RawLine, ...]]
    counted: Mapping[str, tuple[Mapping[str, RawLine], ...]]


@dataclass(frozen=True, slots=True)
class Line:
    """One usable template: the text in one register (and its SMS spelling)."""

    text: str
    sms: str
    fields: frozenset[str]
    tones: frozenset[str]
    gsm: bool  # the template's own characters are all in the GSM-7 alphabet (SMS spelling)


@dataclass(frozen=True, slots=True)
class Bank:
    """A language's bank as one writing context sees it."""

    language: str
    meta: Mapping[str, Any]
    moves: Mapping[str, tuple[Line, ...]]
    counted: Mapping[str, tuple[Mapping[str, Line], ...]]

    def lines(self, move: str) -> tuple[Line, ...]:
        return self.moves.get(move, ())

    def setting(self, key: str, default: str) -> str:
        value = self.meta.get(key, default)
        return value if isinstance(value, str) else default


def _parse_line(value: object, where: str) -> RawLine:
    if not isinstance(value, str) or not value.strip():
        raise BankError(f"{where}: expected a text, got {value!r}")
    tones: frozenset[str] = frozenset()
    tagged = _TAGS.match(value)
    if tagged:
        tones = frozenset(t.strip() for t in tagged.group(1).split(",") if t.strip())
        unknown = tones - set(TONE_FAMILIES)
        if unknown:
            raise BankError(f"{where}: unknown tone tag(s) {sorted(unknown)}")
        value = value[tagged.end() :]
    formal, _, informal = value.partition(" || ")
    formal, informal = formal.strip(), (informal or formal).strip()
    if _FIELD.findall(formal) and sorted(_FIELD.findall(formal)) != sorted(
        _FIELD.findall(informal)
    ):
        raise BankError(f"{where}: the registers use different fields: {value!r}")
    return RawLine(formal, informal, tones)


@cache
def raw_bank(language: str) -> RawBank:
    """The parsed bank file of ``language`` (one of :data:`LANGUAGES`), read once per process."""
    if language not in LANGUAGES:
        raise BankError(f"no phrase bank for {language!r}")
    path = BANK_DIR / f"{language}.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe loader)
    if not isinstance(data, dict):
        raise BankError(f"{path.name}: not a mapping")
    meta = data.pop("meta", {})
    moves: dict[str, tuple[RawLine, ...]] = {}
    counted: dict[str, tuple[Mapping[str, RawLine], ...]] = {}
    for group, prefix in (("emotions", "emotion:"), ("motivators", "motivator:")):
        for name, entries in (data.pop(group, None) or {}).items():
            where = f"{path.name}: {group}.{name}"
            moves[prefix + name] = tuple(_parse_line(e, where) for e in entries)
    for name, entries in (data.pop("counted", None) or {}).items():
        forms: list[Mapping[str, RawLine]] = []
        for entry in entries:
            if not isinstance(entry, dict) or "other" not in entry:
                raise BankError(f"{path.name}: counted.{name}: each entry maps plural forms")
            forms.append(
                {k: _parse_line(v, f"{path.name}: counted.{name}") for k, v in entry.items()}
            )
        counted[name] = tuple(forms)
    for name, entries in data.items():
        if not isinstance(entries, list):
            raise BankError(f"{path.name}: {name}: expected a list of lines")
        moves[name] = tuple(_parse_line(e, f"{path.name}: {name}") for e in entries)
    return RawBank(language, meta, moves, counted)


# The C loader when PyYAML has it (the banks are read on the first write of a process).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1024)
def term_pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word (or words), case-insensitively."""
    return re.compile(rf"(?<!\w){re.escape(term.strip())}(?!\w)", re.IGNORECASE)


def _replace_preferred(text: str, glossary: tuple[tuple[str, str], ...]) -> str:
    for avoid, use in glossary:

        def swap(match: re.Match[str], use: str = use) -> str:
            found = match.group(0)
            return use[:1].upper() + use[1:] if found[:1].isupper() else use

        text = term_pattern(avoid).sub(swap, text)
    return text


def _french_spacing(text: str) -> str:
    # A no-break space before the high punctuation and inside guillemets; fields untouched.
    text = re.sub(r" ([:;!?»])", "\u00a0\\1", text)
    return text.replace("« ", "«\u00a0")


def _literal(text: str) -> str:
    return _FIELD.sub("\x00", text)


@lru_cache(maxsize=128)
def prepared_bank(
    language: str,
    formal: bool,
    banned: tuple[str, ...],
    glossary: tuple[tuple[str, str], ...],
) -> Bank:
    """``language``'s bank in one register, preferred terms swapped in, every line that would
    write a banned term left out."""
    raw = raw_bank(language)
    patterns = [term_pattern(t) for t in banned if t.strip()]
    french = language == "fr"

    def make(entry: RawLine) -> Line | None:
        text = _replace_preferred(entry.formal if formal else entry.informal, glossary)
        literal = _literal(text)
        if any(p.search(literal) for p in patterns):
            return None
        if french:
            text = _french_spacing(text)
        sms = text.translate(_SMS_PLAIN)
        return Line(
            text=text,
            sms=sms,
            fields=frozenset(_FIELD.findall(text)),
            tones=entry.tones,
            gsm=set(_literal(sms)) - {"\x00"} <= _GSM,
        )

    moves: dict[str, tuple[Line, ...]] = {}
    for name, entries in raw.moves.items():
        moves[name] = tuple(line for line in map(make, entries) if line is not None)
    counted: dict[str, tuple[Mapping[str, Line], ...]] = {}
    for name, forms_list in raw.counted.items():
        kept: list[Mapping[str, Line]] = []
        for forms in forms_list:
            made = {k: make(v) for k, v in forms.items()}
            if all(v is not None for v in made.values()):
                kept.append({k: v for k, v in made.items() if v is not None})
        counted[name] = tuple(kept)
    return Bank(language, raw.meta, moves, counted)
