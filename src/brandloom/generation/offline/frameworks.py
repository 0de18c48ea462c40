"""The copywriting frameworks as sequences of moves, and the title lines built from the brief.

- **AIDA**: attention (a hook), interest (the product and its facts), desire (the target
  emotions and motivators, the offer), action.
- **PAS**: a problem the reader knows, the agitation of it, the product as the solution.
- **FAB**: the product's features (the key messages), their advantage, the benefit to the reader.
- **BAB**: before, after, and the product as the bridge between them.
- **4U**: useful, ultra-specific (the facts, counted), unique, urgent.

Each framework gives paragraphs of :class:`Slot`\\ s, ranked so that fitting a short channel keeps
what matters most: must-include terms, the product, the call to action, the offer, then the
facts, the emotional lines, and the connective sentences last. The action (the call to action
itself) is the channel's, since every channel asks for it differently.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from brandloom.generation.offline.fit import Slot
from brandloom.generation.offline.pen import Material, Pen, starts_lower

Framework = Literal["AIDA", "PAS", "FAB", "BAB", "4U"]
FRAMEWORKS: tuple[Framework, ...] = ("AIDA", "PAS", "FAB", "BAB", "4U")

INCLUDE = 95
PRESENT = 90
CTA = 88
OFFER = 80
BRAND = 70
FACTS = 60
TARGET = 50
HOOK = 40
BENEFIT = 35
SUPPORT = 30
URGENT = 25
CLOSE = 20
EXTRA = 10

# Target emotions without lines of their own lean on the nearest lines a bank has.
STAND_INS = {
    "fear": "motivator:security",
    "nervousness": "motivator:security",
    "anger": "problem",
    "annoyance": "problem",
    "disappointment": "problem",
    "disapproval": "problem",
    "disgust": "problem",
    "confusion": "emotion:relief",
    "embarrassment": "emotion:caring",
    "grief": "emotion:caring",
    "remorse": "emotion:caring",
    "sadness": "emotion:caring",
}


def _slot(options: Sequence[str], rank: int, *, required: bool = False) -> list[Slot]:
    return [Slot(tuple(options), rank, required=required)] if options else []


def target_moves(pen: Pen) -> list[str]:
    """The moves that voice the brief's targets, in the brief's order."""
    return list(pen.material.targets)


def target_slots(pen: Pen, *, alts: int, limit: int = 2, skip: int = 0) -> list[Slot]:
    slots: list[Slot] = []
    for move in target_moves(pen)[skip : skip + limit]:
        slots += _slot(pen.options(move, alts=alts), TARGET)
    return slots


def _feel(pen: Pen, *, alts: int, index: int) -> list[Slot]:
    """The ``index``-th target line, or a generic benefit when the brief targets nothing."""
    moves = target_moves(pen)
    if index < len(moves):
        return _slot(pen.options(moves[index], alts=alts), TARGET)
    if index == 0 or not moves:
        return _slot(pen.options("benefit", alts=alts), BENEFIT)
    return []


def present_slots(pen: Pen, *, alts: int, bullets: bool, facts_too: bool = True) -> list[Slot]:
    """The product, with the brief's key messages inline or as a list after it."""
    facts = pen.material.facts if facts_too else ()
    if facts and bullets:
        present = _slot(pen.options("present", alts=alts), PRESENT)
        return present + facts_slots(pen, alts=alts, bullets=True)
    if facts and alts:
        # Fitted copy keeps the facts apart, so that they give way before the offer does.
        return _slot(pen.options("present", alts=alts), PRESENT) + facts_slots(
            pen, alts=alts, bullets=False
        )
    if facts:
        line = pen.pick("present_facts", "facts")
        plain = pen.options("present", alts=alts)
        if line is not None:
            options = [pen.say(line, facts=pen.facts_inline())]
            if len(facts) > 1:
                options.append(pen.say(line, facts=facts[0]))
            return _slot([*options, *plain], PRESENT)
        return _slot(plain, PRESENT) + facts_slots(pen, alts=alts, bullets=False)
    return _slot(pen.options("present", alts=alts), PRESENT)


def facts_slots(pen: Pen, *, alts: int, bullets: bool, counted: bool = False) -> list[Slot]:
    facts = pen.material.facts
    if not facts:
        return []
    lead = pen.counted("reasons", len(facts)) if counted and len(facts) > 1 else None
    if lead is not None:
        if bullets:
            return _slot([lead + "\n" + pen.bullets()], FACTS)
        return _slot([f"{lead} {pen.facts_inline()}."], FACTS)
    line = pen.pick("facts", "facts")
    if line is None:
        return []
    if bullets:
        head = pen.say(line, facts="\x00").split("\x00", 1)[0].rstrip()
        return _slot([head + "\n" + pen.bullets()], FACTS)
    options = [pen.say(line, facts=pen.facts_inline())]
    if len(facts) > 1:
        options.append(pen.say(line, facts=facts[0]))
    return _slot(options, FACTS)


def offer_slots(pen: Pen, *, alts: int) -> list[Slot]:
    if pen.material.offer is None:
        return []
    return _slot(pen.options("offer", alts=alts), OFFER)


def include_slots(pen: Pen, *, alts: int) -> list[Slot]:
    """One sentence per must-include term; ``+ term`` is the last resort of each."""
    slots: list[Slot] = []
    for term in pen.material.includes:
        options = pen.options("include", alts=alts, term=term)
        if options:
            slots.append(Slot(options, INCLUDE, fallback=f"+ {term}" if alts else None))
        else:
            slots.append(Slot((term,), INCLUDE))
    return slots


def _lead_pair(pen: Pen, first: str, second: str, *, alts: int) -> list[list[Slot]]:
    """Two moves where the second only makes sense after the first (problem -> agitation,
    before -> after): separate paragraphs, or, in fitted copy, one slot that keeps both, the
    first alone, or neither."""
    a = pen.options(first, alts=alts)
    b = pen.options(second, alts=alts)
    if not alts or not a:
        return [_slot(a, HOOK), _slot(b, SUPPORT)]
    joined = [f"{x}\n\n{y}" for x in a[:1] for y in b] + list(a)
    return [_slot(joined, HOOK)]


def body(pen: Pen, framework: Framework, *, bullets: bool, alts: int = 0) -> list[list[Slot]]:
    """The framework's paragraphs (without the call to action)."""
    paragraphs: list[list[Slot]]
    if framework == "AIDA":
        paragraphs = [
            _slot(pen.options("hook", alts=alts), HOOK),
            [
                *present_slots(pen, alts=alts, bullets=bullets),
                *_slot(pen.options("audience", alts=alts), EXTRA),
            ],
            [
                *_feel(pen, alts=alts, index=0),
                *_feel(pen, alts=alts, index=1),
                *offer_slots(pen, alts=alts),
                *include_slots(pen, alts=alts),
            ],
        ]
    elif framework == "PAS":
        paragraphs = [
            *_lead_pair(pen, "problem", "agitate", alts=alts),
            present_slots(pen, alts=alts, bullets=bullets),
            [
                *target_slots(pen, alts=alts),
                *offer_slots(pen, alts=alts),
                *include_slots(pen, alts=alts),
            ],
        ]
    elif framework == "FAB":
        paragraphs = [
            present_slots(pen, alts=alts, bullets=bullets),
            [
                *_slot(pen.options("advantage", alts=alts), SUPPORT),
                *_slot(pen.options("audience", alts=alts), EXTRA),
                *_feel(pen, alts=alts, index=0),
            ],
            [
                *_feel(pen, alts=alts, index=1),
                *offer_slots(pen, alts=alts),
                *include_slots(pen, alts=alts),
            ],
        ]
    elif framework == "BAB":
        first, *second = _lead_pair(pen, "before", "after", alts=alts)
        paragraphs = [
            first,
            [*(second[0] if second else []), *_feel(pen, alts=alts, index=0)],
            present_slots(pen, alts=alts, bullets=bullets),
            [
                *_feel(pen, alts=alts, index=1),
                *offer_slots(pen, alts=alts),
                *include_slots(pen, alts=alts),
            ],
        ]
    else:  # 4U: useful, ultra-specific, unique, urgent
        paragraphs = [
            _feel(pen, alts=alts, index=0),
            facts_slots(pen, alts=alts, bullets=bullets, counted=True),
            [*_slot(pen.options("present", alts=alts), PRESENT), *_feel(pen, alts=alts, index=1)],
            [
                *offer_slots(pen, alts=alts),
                *_slot(pen.options("motivator:urgency", alts=alts), URGENT),
                *include_slots(pen, alts=alts),
            ],
        ]
    return [p for p in paragraphs if p]


# ---------------------------------------------------------------------- titles

TitleKind = Literal[
    "hook",
    "problem",
    "after",
    "product_offer",
    "offer_product",
    "product_tagline",
    "product_fact",
    "product",
    "offer",
    "count",
    "tagline",
]

SUBJECTS: dict[Framework, tuple[TitleKind, ...]] = {
    "AIDA": ("hook", "product_offer", "product_tagline", "tagline"),
    "PAS": ("problem", "product_offer", "product_tagline", "tagline"),
    "FAB": ("product_fact", "product_offer", "product_tagline", "tagline"),
    "BAB": ("product_tagline", "offer_product", "product_offer", "tagline"),
    "4U": ("offer_product", "product_offer", "count", "product_tagline", "tagline"),
}
HEADLINES: dict[Framework, tuple[TitleKind, ...]] = {
    "AIDA": ("product_tagline", "product", "tagline"),
    "PAS": ("problem", "product_tagline", "tagline"),
    "FAB": ("product_fact", "product_tagline", "product", "tagline"),
    "BAB": ("after", "product_tagline", "tagline"),
    "4U": ("offer_product", "product_offer", "product_tagline", "tagline"),
}
PUSH_TITLES: dict[Framework, tuple[TitleKind, ...]] = {
    "AIDA": ("product_offer", "product", "hook", "tagline"),
    "PAS": ("problem", "product", "tagline"),
    "FAB": ("product_fact", "product", "tagline"),
    "BAB": ("product_tagline", "product", "tagline"),
    "4U": ("offer_product", "offer", "product", "tagline"),
}


def _title_candidates(pen: Pen, kind: TitleKind) -> Iterator[tuple[str, str | None]]:
    """``(text, line)`` pairs; ``line`` is the bank line the text used (to commit if taken)."""
    m = pen.material
    if kind in ("hook", "problem", "after", "tagline", "product_tagline"):
        line = pen.pick("tagline" if kind == "product_tagline" else kind, commit=False)
        if line is not None:
            text = pen.say(line, title=True)
            if kind == "product_tagline":
                if pen.bank.meta.get("lower_after_colon"):
                    text = text[:1].lower() + text[1:]
                text = pen.frame("colon", m.product, text)
            yield text, line.text
    elif kind == "count":
        lead = pen.counted("reasons", len(m.facts)) if len(m.facts) > 1 else None
        if lead is not None:
            yield lead.rstrip(" :\u00a0"), None
    else:
        yield from ((text, None) for text in _brief_titles(m, kind, pen))


def _brief_titles(m: Material, kind: TitleKind, pen: Pen) -> list[str]:
    """Titles made of the brief's own texts (an offer opens a line only if it is capitalized)."""
    opens = m.offer is not None and not starts_lower(m.offer)
    if kind == "product":
        return [m.product]
    if kind == "offer" and opens and m.offer is not None:
        return [m.offer]
    if kind == "product_offer" and m.offer:
        return [pen.frame("colon", m.product, m.offer)]
    if kind == "offer_product" and opens and m.offer is not None:
        return [pen.frame("dash", m.offer, m.product)]
    if kind == "product_fact":
        return [pen.frame("colon", m.product, fact) for fact in m.facts[:2]]
    return []


def title(pen: Pen, kinds: Sequence[TitleKind], limit: int | None) -> str:
    """The first of ``kinds`` that fits ``limit``; a short bank line when none does."""
    for kind in (*kinds, "tagline", "tagline", "tagline"):
        for text, used in _title_candidates(pen, kind):
            if text.strip() and (limit is None or len(text) <= limit):
                if used is not None:
                    move = "tagline" if kind == "product_tagline" else kind
                    for line in pen.bank.lines(move):
                        if line.text == used:
                            pen.take(line)
                return text
    shortest = sorted((pen.say(line, title=True) for line in pen.bank.lines("tagline")), key=len)
    for text in shortest:
        if limit is None or len(text) <= limit:
            return text
    product = pen.material.product
    return product if limit is None or len(product) <= limit else "…"
