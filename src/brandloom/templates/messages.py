"""Message catalogs: a template's copy per language, used in parts as ``{{ t.greeting }}``.

A catalog maps keys to messages for one locale (``en``, ``de``, ``pt-BR``). A message is text
with ``{name}`` placeholders filled from the contact's variables (``"Hallo {first_name}"``;
``{{`` and ``}}`` are literal braces), or a plural message: a mapping of CLDR plural categories
(``zero``, ``one``, ``two``, ``few``, ``many``, ``other``; ``other`` required) plus ``count``,
the variable whose number chooses the form::

    points:
      count: points
      one: "You have {points} point"
      other: "You have {points} points"

Messages are text, never template code: their output is escaped like any variable's (HTML in
``html``, Markdown in ``markdown``). Keys may nest (``footer: {legal: ...}`` is
``t.footer.legal``).

Each contact gets one catalog through a fallback chain: its own locale, then shorter forms of it
(``de-AT`` -> ``de``), then the job's default locale and its shorter forms. Every catalog must
hold the same keys, and a key's translations the same placeholders; :meth:`Catalogs.problems`
names what does not.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from babel.plural import PluralRule

from brandloom.kit.locale import canonical_tag, nearest_locale
from brandloom.templates.errors import TemplateError

# The reserved variable a template reads its messages from.
MESSAGES_VARIABLE = "t"
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ``t.key`` or ``t["key"]`` inside ``{{ }}`` / ``{% %}`` tags (both engines use them).
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_USE = re.compile(r"(?<![\w.])t((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*['\"][^'\"]+['\"]\s*\])+)")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\]")


class MessagesError(TemplateError):
    """A catalog that cannot be used: bad shape, missing keys, mismatched placeholders."""

    code = "template.messages"


# --------------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class _Text:
    """A message split into literals and placeholders: ``("Hallo ", "first_name", "!")``."""

    pieces: tuple[str, ...]  # even index: literal, odd index: variable name
    placeholders: frozenset[str]

    def source(self) -> str:
        """The message as written, placeholders included (``"Hallo {first_name}"``)."""
        return "".join("{" + p + "}" if i % 2 else p for i, p in enumerate(self.pieces))

    def render(self, context: Mapping[str, Any]) -> str:
        pieces = self.pieces
        if len(pieces) == 1:
            return pieces[0]
        out = []
        for i, piece in enumerate(pieces):
            if i % 2:
                value = context.get(piece)
                out.append("" if value is None else str(value))
            else:
                out.append(piece)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class _Plural:
    count: str
    forms: Mapping[str, _Text]
    rule: PluralRule
    placeholders: frozenset[str]

    def source(self) -> str:
        """The ``other`` form as written: what a translator reads first."""
        return self.forms["other"].source()

    def render(self, context: Mapping[str, Any]) -> str:
        form = self.forms.get(self.rule(_number(context.get(self.count))))
        return (form or self.forms["other"]).render(context)


_Message = _Text | _Plural


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        text = str(value).strip()
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except (TypeError, ValueError):
        return 0  # not a number: the catalog's ``other`` form (via the rule of 0 or other)


def _parse_text(text: str, where: str) -> _Text:
    pieces: list[str] = []
    names: set[str] = set()
    literal = ""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise MessagesError(f"{where}: {exc} (use {{{{ and }}}} for literal braces)") from None
    for text_part, field, spec, conversion in parsed:
        literal += text_part
        if field is None:
            continue
        if spec or conversion or not _KEY.fullmatch(field):
            raise MessagesError(
                f"{where}: placeholder {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} is not a variable name"
            )
        pieces.extend((literal, field))
        names.add(field)
        literal = ""
    pieces.append(literal)
    return _Text(tuple(pieces), frozenset(names))


def plural_rule(locale: str) -> PluralRule:
    """CLDR's plural rule of ``locale`` (its nearest known form; English's for an unknown one)."""
    found = nearest_locale(locale) or nearest_locale("en")
    assert found is not None
    return found.locale.plural_form


def _compile(value: Any, locale: str, where: str) -> _Message | dict[str, Any]:
    """A message, or a nested group of messages (a mapping without plural categories)."""
    if isinstance(value, str):
        return _parse_text(value, where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _parse_text(str(value), where)
    if isinstance(value, Mapping):
        keys = {str(k) for k in value}
        if keys & set(PLURAL_CATEGORIES) or "count" in keys:
            return _compile_plural(value, locale, where)
        group: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if not _KEY.fullmatch(name):
                raise MessagesError(f"{where}.{name}: a key is a name (letters, digits, _)")
            group[name] = _compile(item, locale, f"{where}.{name}")
        return group
    raise MessagesError(f"{where}: a message is text, or a mapping of messages")


def _compile_plural(value: Mapping[Any, Any], locale: str, where: str) -> _Plural:
    count = value.get("count")
    if not isinstance(count, str) or not _KEY.fullmatch(count):
        raise MessagesError(f"{where}: a plural message names its number variable in 'count'")
    forms: dict[str, _Text] = {}
    for key, item in value.items():
        if key == "count":
            continue
        if key not in PLURAL_CATEGORIES:
            raise MessagesError(
                f"{where}: '{key}' is not a plural category ({', '.join(PLURAL_CATEGORIES)})"
            )
        if not isinstance(item, str):
            raise MessagesError(f"{where}.{key}: a plural form is text")
        forms[str(key)] = _parse_text(item, f"{where}.{key}")
    if "other" not in forms:
        raise MessagesError(f"{where}: a plural message needs its 'other' form")
    names = frozenset({count}).union(*(f.placeholders for f in forms.values()))
    return _Plural(count, forms, plural_rule(locale), names)


def _flatten(group: Mapping[str, Any], prefix: str = "") -> dict[str, _Message]:
    flat: dict[str, _Message] = {}
    for key, item in group.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{path}."))
        else:
            flat[path] = item
    return flat


# --------------------------------------------------------------------------------- catalogs


def locale_key(tag: str) -> str:
    """A catalog's locale as BCP 47 (``de_de`` -> ``de-DE``, ``zh-CN`` -> ``zh-Hans-CN``);
    a tag CLDR does not know is kept with its case tidied (see
    :func:`~brandloom.kit.locale.canonical_tag`)."""
    return canonical_tag(tag)


def fallback_chain(locale: str | None, default: str) -> tuple[str, ...]:
    """Where a contact's messages come from, in order: ``de-AT`` -> ``de-AT``, ``de``, then the
    default locale and its shorter forms."""
    chain: list[str] = []
    for tag in (locale, default):
        if not tag:
            continue
        parts = locale_key(tag).split("-")
        for end in range(len(parts), 0, -1):
            candidate = "-".join(parts[:end])
            if candidate not in chain:
                chain.append(candidate)
    return tuple(chain)


class Catalog:
    """One locale's messages, compiled."""

    __slots__ = ("flat", "locale", "origin", "tree")

    def __init__(self, locale: str, messages: Mapping[str, Any], origin: str) -> None:
        if not isinstance(messages, Mapping):
            raise MessagesError(f"messages.{locale} ({origin}): expected a mapping of key -> text")
        self.locale = locale
        self.origin = origin
        tree = _compile(messages, locale, f"messages.{locale}")
        if not isinstance(tree, dict):
            raise MessagesError(f"messages.{locale} ({origin}): expected a mapping of key -> text")
        self.tree = tree
        self.flat = _flatten(tree)


class Messages:
    """The messages of one contact's catalog, read by the template as ``t``.

    ``t.key`` and ``t["key"]`` give the message with its placeholders filled from the contact's
    variables; a nested group gives another ``Messages``. Nothing else is reachable.
    """

    __slots__ = ("_context", "_tree")

    def __init__(self, tree: Mapping[str, Any], context: Mapping[str, Any]) -> None:
        self._tree = tree
        self._context = context

    def __getitem__(self, key: str) -> Any:
        item = self._tree[key]
        if isinstance(item, dict):
            return Messages(item, self._context)
        return item.render(self._context)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._tree

    def __str__(self) -> str:
        return ""


class Catalogs:
    """A template's catalogs (locale -> messages) and how a contact's locale picks one."""

    def __init__(
        self,
        messages: Mapping[str, Mapping[str, Any]],
        *,
        default_locale: str,
        origins: Mapping[str, str] | None = None,
    ) -> None:
        self.catalogs: dict[str, Catalog] = {}
        for tag, content in messages.items():
            locale = locale_key(tag)
            if locale in self.catalogs:
                raise MessagesError(f"messages: '{tag}' and another catalog are both '{locale}'")
            origin = (origins or {}).get(tag) or "inline"
            self.catalogs[locale] = Catalog(locale, content, origin)
        self.default_locale = default_locale
        self._chosen: dict[str | None, str | None] = {}

    def __bool__(self) -> bool:
        return bool(self.catalogs)

    @property
    def locales(self) -> list[str]:
        return list(self.catalogs)

    def locale_for(self, locale: str | None) -> str | None:
        """The catalog locale a contact with ``locale`` gets (None: no catalog matches)."""
        try:
            return self._chosen[locale]
        except KeyError:
            pass
        chosen = next(
            (c for c in fallback_chain(locale, self.default_locale) if c in self.catalogs), None
        )
        if len(self._chosen) < 10_000:
            self._chosen[locale] = chosen
        return chosen

    def bind(self, catalog_locale: str | None, context: Mapping[str, Any]) -> Messages:
        tree = self.catalogs[catalog_locale].tree if catalog_locale is not None else {}
        return Messages(tree, context)

    def keys(self) -> set[str]:
        return {key for catalog in self.catalogs.values() for key in catalog.flat}

    def unused(self, contact_locales: Iterable[str | None]) -> list[str]:
        """The catalogs no contact gets, given the audience's distinct locales (``None``: a
        contact without one, who gets the default locale's catalog)."""
        chosen = {self.locale_for(locale) for locale in contact_locales}
        return [locale for locale in self.catalogs if locale not in chosen]

    def placeholders(self) -> set[str]:
        """Every variable a message of any catalog uses."""
        return {
            name
            for catalog in self.catalogs.values()
            for message in catalog.flat.values()
            for name in message.placeholders
        }

    def problems(self, used: Iterable[str] = ()) -> list[str]:
        """What makes these catalogs unusable: a key one catalog lacks (or that a part uses and
        no catalog has), a key whose translations use different placeholders."""
        found: list[str] = []
        every = self.keys()
        wanted = set(used)
        for key in sorted(every | wanted):
            holders = [c for c in self.catalogs.values() if key in c.flat]
            for catalog in self.catalogs.values():
                if key not in catalog.flat:
                    found.append(
                        f"messages.{catalog.locale} ({catalog.origin}): key '{key}' is "
                        "missing" + (" (the template uses it)" if key in wanted else "")
                    )
            if len(holders) > 1:
                first = holders[0]
                expected = first.flat[key].placeholders
                for other in holders[1:]:
                    got = other.flat[key].placeholders
                    if got != expected:
                        found.append(
                            f"messages.{other.locale} ({other.origin}): key '{key}' uses "
                            f"{_names(got)} but messages.{first.locale} uses {_names(expected)}"
                        )
        return found

    def check(self, used: Iterable[str] = ()) -> None:
        found = self.problems(used)
        if found:
            raise MessagesError("; ".join(found), details={"problems": found})


def _names(names: frozenset[str]) -> str:
    return ", ".join("{" + n + "}" for n in sorted(names)) or "no placeholders"


def no_catalogs_message(used: Iterable[str]) -> str:
    """The error for a template that reads messages (``used``) but has no catalogs."""
    return (
        f"the template reads messages ({', '.join(sorted(used))}) but has no catalogs: "
        "add template.messages"
    )


def message_keys(source: str) -> set[str]:
    """The message keys a part's source reads (``t.greeting``, ``t.footer.legal``,
    ``t["cta"]``). A key chosen at render time (``t[name]``) cannot be known here."""
    keys: set[str] = set()
    for tag in _TAG.findall(source):
        for match in _USE.finditer(tag):
            steps = [a or b for a, b in _STEP.findall(match.group(1))]
            if steps:
                keys.add(".".join(steps))
    return keys


def used_keys(parts: Mapping[str, str], catalogs: Catalogs) -> set[str]:
    """Keys the parts read, resolved against the catalogs' groups: ``t.footer`` used as a
    group (``t.footer.legal``) counts as ``footer.legal``; a longer path counts as its
    longest known prefix."""
    found: set[str] = set()
    known = catalogs.keys()
    for source in parts.values():
        for key in message_keys(source):
            steps = key.split(".")
            for end in range(len(steps), 0, -1):
                candidate = ".".join(steps[:end])
                if candidate in known:
                    found.add(candidate)
                    break
            else:
                if not any(k.startswith(f"{key}.") for k in known):
                    found.add(key)
    return found


def variant_catalogs(
    messages: Mapping[str, Mapping[str, Any]],
    variant_messages: Mapping[str, Mapping[str, Mapping[str, Any]]],
    variants: Iterable[str | None],
    *,
    default_locale: str,
    origins: Mapping[str, str] | None = None,
) -> dict[str | None, Catalogs]:
    """The catalogs each variant renders with: the template's, with the keys a variant
    overrides (``variants[].messages``: locale -> key -> message) replaced."""
    out: dict[str | None, Catalogs] = {}
    for variant in variants:
        merged: dict[str, dict[str, Any]] = {loc: dict(m) for loc, m in messages.items()}
        own = variant_messages.get(variant or "", {}) if variant is not None else {}
        by_key = {locale_key(loc): loc for loc in merged}
        for loc, overrides in own.items():
            if not isinstance(overrides, Mapping):
                raise MessagesError(
                    f"variants.{variant}.messages.{loc}: expected a mapping of key -> text"
                )
            target = by_key.get(locale_key(loc))
            if target is None:
                raise MessagesError(
                    f"variants.{variant}.messages.{loc}: the template has no '{loc}' catalog"
                )
            merged[target].update(overrides)
        out[variant] = Catalogs(merged, default_locale=default_locale, origins=origins)
    return out
