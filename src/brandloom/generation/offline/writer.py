"""The offline writer: copy for every channel of a brief, without a network or a model.

Each candidate follows one copywriting framework (AIDA, PAS, FAB, BAB, 4U; the seed picks the
first, the next candidates take the next ones) and is written with the language's phrase bank
(``banks/<language>.yaml``): lines chosen for the brief's tone, emotions and motivators, in the
register asked for, filled with the brief's own texts verbatim.

Grammar. The writer cannot know an arbitrary product name's gender, number or case, so the
banks never make anything agree with it: the name stands alone, after a colon, as an object
without an article ("Entdecken Sie {product}"), or after a preposition that takes no article
("mit {product}", "avec {product}"). Only the bank's own words are inflected; counts the writer
writes are formatted and pluralized with Babel (CLDR).

Every text of the brief is data: it is placed where its field goes and nothing in it is read as
an instruction. Which lines are picked depends on the seed and on which texts the brief has,
never on what they say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Literal

from brandloom.generation.brief import Brief
from brandloom.generation.channels import Channel, Content, check_content
from brandloom.generation.offline.banks import (
    LANGUAGES,
    TONE_FAMILIES,
    Bank,
    prepared_bank,
    term_pattern,
)
from brandloom.generation.offline.frameworks import FRAMEWORKS, STAND_INS, Framework
from brandloom.generation.offline.pen import Material, Pen
from brandloom.generation.offline.shapes import SHAPES

NOT_AN_LLM_NOTE = (
    "written by brandloom's offline writer from copywriting frameworks and phrase banks; not an LLM"
)

Formality = Literal["formal", "informal"]

# The register a language's marketing copy uses when nobody chose one.
DEFAULT_FORMAL: dict[str, bool] = {
    "de": True,  # Sie
    "en": True,  # one register
    "es": False,  # tú
    "fr": True,  # vous
    "it": False,  # tu
    "pt": True,  # third person (você in Brazil, "o seu" in Portugal)
}

# Tone words of a brief -> the bank's tone families (others fall back to neutral lines).
_TONE_FAMILY_WORDS: dict[str, tuple[str, ...]] = {
    "energetic": (
        "energetic", "bold", "dynamic", "enthusiastic", "exciting", "punchy", "lively", "upbeat",
        "passionate", "motivating", "motivational", "inspiring", "sporty", "vibrant",
        "adventurous",
    ),
    "friendly": (
        "friendly", "warm", "casual", "approachable", "conversational", "helpful",
        "empathetic", "caring", "kind", "welcoming", "personal", "human", "relaxed",
        "supportive", "cheerful", "positive",
    ),
    "calm": (
        "calm", "reassuring", "gentle", "soothing", "serene", "quiet", "mindful", "soft",
        "peaceful", "honest",
    ),
    "professional": (
        "professional", "confident", "authoritative", "expert", "formal", "trustworthy",
        "credible", "clear", "direct", "serious", "informative", "corporate", "technical",
        "knowledgeable", "precise",
    ),
    "luxurious": (
        "luxurious", "luxury", "elegant", "premium", "sophisticated", "refined", "exclusive",
        "classy", "upscale", "glamorous", "timeless",
    ),
    "playful": (
        "playful", "fun", "witty", "humorous", "cheeky", "quirky", "light-hearted",
        "lighthearted", "irreverent", "funny", "whimsical",
    ),
}  # fmt: skip
TONE_WORDS: dict[str, str] = {
    word: family for family, words in _TONE_FAMILY_WORDS.items() for word in words
}

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class WritingContext:
    """Where and how to write: the locale, the register, the brand's name and rules.

    ``banned`` are terms never to write (the brand's banned terms and the brief's must_avoid);
    ``glossary`` maps a term the brand avoids to the one it prefers (this language);
    ``must_include`` are the terms this language's copy must contain, verbatim.
    """

    locale: str
    formality: Formality | None = None
    brand_name: str | None = None
    banned: tuple[str, ...] = ()
    glossary: Mapping[str, str] = field(default_factory=dict)
    must_include: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfflineDraft:
    """One candidate: its parts, the framework it follows, and what the caller should know."""

    content: Content
    framework: str
    notes: tuple[str, ...] = ()


class OfflineWriter:
    """brandloom's embedded writer (see the module documentation)."""

    name = "offline"
    can_translate = False

    def languages(self) -> tuple[str, ...]:
        """The languages with a phrase bank; others are written in English (and noted)."""
        return LANGUAGES

    def write(
        self,
        brief: Brief,
        channel: Channel,
        context: WritingContext,
        n: int,
        *,
        seed: int = 0,
    ) -> list[OfflineDraft]:
        """``n`` candidates for ``channel`` in ``context.locale``, each within the channel's
        limits, different from one another and the same for the same ``seed``."""
        shape = SHAPES[channel.name]
        locale = context.locale.replace("_", "-")
        language, _, region = locale.partition("-")
        language = language.lower()
        notes: list[str] = []
        bank_language = language
        if language not in LANGUAGES:
            bank_language = "en"
            notes.append(
                f"no offline phrase bank for {language!r}: wrote English "
                f"(banks: {', '.join(LANGUAGES)})"
            )
        formal = _formal(bank_language, region, context.formality, notes)
        banned = _banned(context, brief)
        bank = prepared_bank(bank_language, formal, banned, tuple(sorted(context.glossary.items())))
        material = _material(
            brief,
            context,
            bank,
            language=language,
            locale=locale if bank_language == language else "en",
            banned=banned,
            notes=notes,
        )
        tones = material.tones
        if channel.name == "social:linkedin":
            tones = (tones - {"playful"}) | {"professional"}
        drafts: list[OfflineDraft] = []
        seen: set[str] = set()
        for index in range(max(0, n)):
            framework = FRAMEWORKS[(seed + index) % len(FRAMEWORKS)]
            content: Content = {}
            retired: set[str] = set()  # lines of attempts that repeated an earlier candidate
            for attempt in range(8):
                # Variation, not secrecy: the same seed must give the same copy.
                rng = Random(f"{seed}:{index}:{attempt}:{channel.name}:{bank_language}:{formal}")  # noqa: S311
                pen = Pen(
                    bank,
                    material,
                    rng,
                    tones=tones,
                    sms=channel.name == "sms",
                    exclaim=channel.name != "ad:google_search",
                )
                pen.used.update(retired)
                content = shape(pen, framework, brief.sms_segments)
                key = repr(sorted(content.items()))
                if key not in seen:
                    break
                retired |= pen.used
            seen.add(repr(sorted(content.items())))
            found = _checks(channel, content, material, banned, brief.sms_segments)
            drafts.append(OfflineDraft(content, framework, tuple(dict.fromkeys([*notes, *found]))))
        return drafts


def _formal(language: str, region: str, formality: str | None, notes: list[str]) -> bool:
    if formality is None:
        # the locale's own default register (culture data: it-IT Lei, de-DE Sie, ...) where it
        # has one, so the copy never contradicts the culture check; else the bank's default
        default = _locale_register(f"{language}-{region}" if region else language)
        if default in ("formal", "informal"):
            return default == "formal"
        return DEFAULT_FORMAL[language]
    if language == "pt" and region.upper() == "BR" and formality == "informal":
        # Brazilian copy addresses everyone as você; tu is regional.
        notes.append("pt-BR: você (the third person) serves the informal register too")
        return True
    return formality == "formal"


def _banned(context: WritingContext, brief: Brief) -> tuple[str, ...]:
    terms = {t.strip().casefold() for t in (*context.banned, *brief.must_avoid) if t.strip()}
    return tuple(sorted(terms))


def _uses(text: str, banned: Sequence[str]) -> str | None:
    for term in banned:
        if term_pattern(term).search(text):
            return term
    return None


def guess_language(text: str) -> str | None:
    """The bank language whose function words ``text`` uses most (None: no clear winner).

    A cheap guard, not language identification: it tells whether a brief's text would read as
    a foreign phrase in the copy's language.
    """
    words = [w.casefold() for w in _WORDS.findall(text)]
    if not words:
        return None
    hits = {lang: sum(1 for w in words if w in _stopwords(lang)) for lang in LANGUAGES}
    best = max(hits, key=hits.__getitem__)
    ranked = sorted(hits.values(), reverse=True)
    return best if ranked[0] >= 1 and ranked[0] > ranked[1] else None


# Frequent function words per bank language, few enough to stay unambiguous between them.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and for with your you of to is are on our this that by at from it who their "
        "off until get now more up all than",
        "de": "der die das und für mit nicht ist sind ein eine auf zu den dem des ihr wir von "
        "im auch bis jetzt mehr noch dein deine ihre unser als",
        "es": "el los las y para con tu su es son un una del al por que hasta más nuestro "
        "sobre desde menos",
        "fr": "le les et pour avec ton votre vos est sont une du au des à jusqu plus notre sur "
        "dans moins",
        "it": "il lo gli e per con tuo tua suo è sono un una del della al di che fino più "
        "nostro sul sulla nella alla delle dei meno",
        "pt": "o os as para com teu seu sua é são um uma do da ao no na em até mais nosso menos",
    }.items()
}


def _stopwords(language: str) -> frozenset[str]:
    return _STOPWORDS[language]


def _material(
    brief: Brief,
    context: WritingContext,
    bank: Bank,
    *,
    language: str,
    locale: str,
    banned: Sequence[str],
    notes: list[str],
) -> Material:
    def keep(what: str, text: str | None) -> str | None:
        if text is None or not text.strip():
            return None
        term = _uses(text, banned)
        if term is not None:
            notes.append(f"the brief's {what} uses the avoided term {term!r}: left out")
            return None
        return text

    product = brief.product
    if _uses(product, banned):
        notes.append("the product name contains an avoided term; it is the product's name")
    offer = keep("offer", brief.offer)
    cta = keep("cta", brief.cta)
    facts = tuple(f for f in (keep("key message", k) for k in brief.key_messages) if f)
    includes = tuple(dict.fromkeys([*context.must_include, *brief.must_include_for(language)]))
    for term in includes:
        if _uses(term, banned):
            notes.append(f"must_include {term!r} contains an avoided term; included as required")
    audience = brief.audience
    if audience is not None:
        audience = re.split(r"[,;(]", audience, maxsplit=1)[0].strip() or None
        if audience and (len(audience) > 60 or guess_language(audience) != bank.language):
            audience = None
        audience = keep("audience", audience)
    targets: list[str] = []
    for target in brief.target_emotions:
        moves = [m for m in (f"emotion:{target}", f"motivator:{target}") if bank.lines(m)]
        if not moves and target in STAND_INS and bank.lines(STAND_INS[target]):
            notes.append(
                f"target {target!r} has no {bank.language} lines of its own: "
                f"used {STAND_INS[target].split(':')[-1]} lines"
            )
            moves = [STAND_INS[target]]
        elif not moves and target != "neutral":
            notes.append(f"target {target!r} has no {bank.language} lines")
        targets += moves[:1]
        if len(moves) > 1:  # curiosity is an emotion and a motivator: both voice it
            targets.append(moves[1])
    tones = frozenset(
        TONE_WORDS[w]
        for t in brief.tone
        for w in (t.strip().lower(), *t.strip().lower().split())
        if w in TONE_WORDS
    )
    assert tones <= set(TONE_FAMILIES)
    foreign = frozenset(
        name
        for name, text in (("offer", offer), ("cta", cta), ("facts", " ".join(facts)))
        if text and guess_language(text) not in (None, bank.language)
    )
    if foreign:
        notes.append(
            f"the brief's {', '.join(sorted(foreign))} read(s) as another language than "
            f"{bank.language}; used verbatim (the offline writer does not translate)"
        )
    values = {
        k: v
        for k, v in {
            "product": product,
            "offer": offer,
            "cta": cta,
            "url": brief.url,
            "brand": context.brand_name,
            "audience": audience,
        }.items()
        if v
    }
    return Material(
        language=bank.language,
        locale=locale,
        product=product,
        offer=offer,
        cta=cta,
        url=brief.url,
        brand=context.brand_name,
        audience=audience,
        facts=facts,
        includes=includes,
        targets=tuple(dict.fromkeys(targets)),
        tones=tones,
        foreign=foreign,
        values=values,
    )


def _checks(
    channel: Channel,
    content: Content,
    material: Material,
    banned: Sequence[str],
    sms_segments: int,
) -> list[str]:
    """What the caller should know about one candidate: terms that did not fit, limits."""
    texts = [
        v for value in content.values() for v in (value if isinstance(value, list) else [value])
    ]
    everything = "\n".join(texts)
    notes = [
        f"must_include {term!r} does not fit {channel.name}"
        for term in material.includes
        if term not in everything
    ]
    if material.product not in everything:
        notes.append(f"the product name does not fit {channel.name}: left out")
    if material.url and channel.name in ("sms", "social:x") and material.url not in everything:
        notes.append(f"the url does not fit {channel.name}: left out")
    for term in banned:
        if term_pattern(term).search(everything):
            notes.append(f"the copy contains the avoided term {term!r} (from the brief's texts)")
    segments = sms_segments if channel.sms_segments else None
    for finding in check_content(channel, content, sms_segments=segments):
        notes.append(f"{finding.part}: {finding.message}")  # a bug if it ever shows
    return notes


def _locale_register(locale: str) -> str | None:
    from brandloom.analysis.culture import UnknownLocaleError, locale_profile

    try:
        return str(locale_profile(locale)["register"]["default"])
    except (UnknownLocaleError, KeyError):
        return None


__all__ = [
    "DEFAULT_FORMAL",
    "FRAMEWORKS",
    "NOT_AN_LLM_NOTE",
    "Framework",
    "OfflineDraft",
    "OfflineWriter",
    "WritingContext",
]
