"""What one candidate is written with: the brief's material and a pen that picks bank lines.

The pen never repeats a line within a candidate, prefers lines whose first word has not opened
another sentence yet, weighs lines of the brief's tone families above neutral ones, and fills
fields with the brief's texts verbatim. Its choices depend on the seed and on which texts the
brief has -- never on what they say -- so a brief text cannot steer the copy around it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from random import Random
from typing import Any

from brandloom.documents.formats.sms import GSM7_BASIC, GSM7_EXTENSION
from brandloom.generation.offline.banks import Bank, Line

_FIELD = re.compile(r"\{(\w+)\}")
_AFTER_END = re.compile(r"^[ \u00a0\u202f]?[.!]")
_WORD = re.compile(r"\w+")
_TERMINAL = frozenset(".!?…")
MAX_EXCLAIMED = 2
_GSM = GSM7_BASIC | GSM7_EXTENSION


@dataclass(frozen=True, slots=True)
class Material:
    """The brief's texts for one language, cleaned of what must not be written."""

    language: str  # the bank's language
    locale: str  # the locale numbers and lists are formatted for
    product: str
    offer: str | None = None
    cta: str | None = None
    url: str | None = None
    brand: str | None = None
    audience: str | None = None
    facts: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # bank moves: "emotion:joy", "motivator:value", ...
    tones: frozenset[str] = frozenset()
    foreign: frozenset[str] = frozenset()  # fields whose text reads as another language
    values: Mapping[str, str] = field(default_factory=dict)


def starts_lower(text: str) -> bool:
    """Whether ``text`` begins with a lower-case letter (it cannot open a line verbatim)."""
    return text[:1].islower()


def ends_sentence(text: str) -> bool:
    return text.rstrip()[-1:] in _TERMINAL


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its fields filled; a value that already ends a sentence swallows the
    template's own full stop or exclamation mark after it."""
    out: list[str] = []
    position = 0
    ended = False
    for match in _FIELD.finditer(template):
        literal = template[position : match.start()]
        if ended:
            literal = _AFTER_END.sub("", literal, count=1)
        out.append(literal)
        value = values[match.group(1)]
        out.append(value)
        ended = ends_sentence(value)
        position = match.end()
    tail = template[position:]
    if ended:
        tail = _AFTER_END.sub("", tail, count=1)
    out.append(tail)
    return "".join(out)


def _opener(text: str) -> str:
    if text.startswith("{"):
        return text[: text.find("}") + 1]
    word = _WORD.search(text)
    return word.group(0).lower() if word else ""


@cache
def _babel_locale(locale: str) -> Any:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(locale.replace("-", "_").split("_", 1)[0])


def format_count(count: int, locale: str) -> tuple[str, str]:
    """``count`` written for ``locale`` (CLDR digits and grouping) and its plural category."""
    from babel.numbers import format_decimal

    babel_locale = _babel_locale(locale)
    return format_decimal(count, locale=babel_locale), babel_locale.plural_form(count)


def format_list(items: Sequence[str], locale: str) -> str:
    """``a, b and c`` as ``locale`` writes a list (CLDR); the items are left as they are."""
    from babel.lists import format_list as babel_list

    if len(items) == 1:
        return items[0]
    return str(babel_list(list(items), locale=_babel_locale(locale)))


class Pen:
    """Picks and fills bank lines for one candidate."""

    def __init__(
        self,
        bank: Bank,
        material: Material,
        rng: Random,
        *,
        tones: frozenset[str],
        sms: bool = False,
        exclaim: bool = True,
    ) -> None:
        self.bank = bank
        self.material = material
        self.rng = rng
        self.tones = tones
        self.sms = sms
        self.exclaim = exclaim
        self.used: set[str] = set()
        self.openers: set[str] = set()
        self.memo: dict[str, str] = {}  # choices a candidate keeps (its default call to action)
        self.exclaimed = 0  # lines with "!" taken: more than two reads as shouting

    # ------------------------------------------------------------------ picking

    def _pool(self, move: str, given: Sequence[str]) -> list[Line]:
        available = set(self.material.values) | set(given)
        return [
            line
            for line in self.bank.lines(move)
            if line.text not in self.used
            and line.fields <= available
            and (not line.tones or line.tones & self.tones)
            and ("!" not in line.text or (self.exclaim and self.exclaimed < MAX_EXCLAIMED))
            and not (self.sms and "→" in line.text)
        ]

    def pick(self, move: str, *given: str, commit: bool = True) -> Line | None:
        """A line of ``move`` that the material (and the extra fields ``given``) can fill."""
        pool = self._pool(move, given)
        if not pool:
            return None
        fresh = [line for line in pool if _opener(line.text) not in self.openers]
        pool = fresh or pool
        weights = [3 if line.tones else 1 for line in pool]
        line = self.rng.choices(pool, weights)[0]
        if commit:
            self.take(line)
        return line

    def take(self, line: Line) -> None:
        self.used.add(line.text)
        self.openers.add(_opener(line.text))
        if "!" in line.text:
            self.exclaimed += 1

    def say(self, line: Line, *, title: bool = False, **values: str) -> str:
        """``line`` filled with the material and ``values``; ``title`` drops a final full stop
        of the template (headlines have none)."""
        template = line.sms if self.sms else line.text
        if title and template.endswith(".") and not template.endswith("..."):
            template = template[:-1]
        return render(template, {**self.material.values, **values})

    def options(
        self, move: str, *, alts: int = 0, title: bool = False, **values: str
    ) -> tuple[str, ...]:
        """A line of ``move`` filled in, then up to ``alts`` shorter alternatives (for fitting)."""
        first = self.pick(move, *values)
        if first is None:
            return ()
        texts = [self.say(first, title=title, **values)]
        if alts:
            rest = [
                (self.say(line, title=title, **values), line)
                for line in self._pool(move, tuple(values))
            ]
            rest.sort(key=lambda pair: (self.size(pair[0]), pair[0]))
            for text, line in rest:
                if len(texts) > alts:
                    break
                if self.size(text) < self.size(texts[0]) and text not in texts:
                    self.used.add(line.text)
                    texts.append(text)
        return tuple(texts)

    def size(self, text: str) -> float:
        """How much room ``text`` takes: its length, and in an SMS a character outside GSM-7
        makes the whole message UCS-2 (70 units a segment instead of 160)."""
        if self.sms and not set(text) <= _GSM:
            return len(text) * 2.3
        return len(text)

    def frame(self, name: str, a: str, b: str) -> str:
        """Two texts joined by one of the bank's frames (``colon``: ``a: b``, ``dash``)."""
        template = self.bank.setting(name, "{a}: {b}" if name == "colon" else "{a} – {b}")
        if self.sms:
            template = template.replace("\u00a0", " ").replace("–", "-").replace("—", "-")
        return render(template, {"a": a, "b": b})

    def counted(self, name: str, count: int) -> str | None:
        """A counted phrase in the plural form CLDR gives ``count`` in this locale."""
        entries = self.bank.counted.get(name, ())
        entries = tuple(e for e in entries if e["other"].text not in self.used)
        if not entries:
            return None
        forms = entries[self.rng.randrange(len(entries))]
        number, category = format_count(count, self.material.locale)
        line = forms.get(category) or forms["other"]
        self.used.add(forms["other"].text)
        return self.say(line, count=number)

    # ------------------------------------------------------------------ the brief's texts

    def facts_inline(self, facts: Sequence[str] | None = None) -> str:
        return format_list(
            list(facts if facts is not None else self.material.facts), self.material.locale
        )

    def bullets(self, facts: Sequence[str] | None = None) -> str:
        bullet = "- " if self.sms else self.bank.setting("bullet", "• ")
        return "\n".join(bullet + f for f in (facts if facts is not None else self.material.facts))
