"""Each channel's copy from a framework's moves: which parts, in what order, within which limits.

Parts with a limit are fitted (``fit.fit``): the framework's sentences are slots, and the least
important ones give way first. Parts without a limit (an e-mail's body, a landing page) take the
preferred option of every slot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from brandloom.generation.channels import Content
from brandloom.generation.offline.fit import Slot, chars, fit, sms_budget, within, within_sms
from brandloom.generation.offline.frameworks import (
    BRAND,
    CLOSE,
    CTA,
    EXTRA,
    HEADLINES,
    PUSH_TITLES,
    SUBJECTS,
    Framework,
    body,
    include_slots,
    offer_slots,
    present_slots,
    target_slots,
    title,
)
from brandloom.generation.offline.pen import Pen, ends_sentence, starts_lower

EMAIL_SUBJECT = 60
EMAIL_PREHEADER = 100
X_TEXT = 280
INSTAGRAM_CAPTION = 2200
LINKEDIN_TEXT = 3000
AD_HEADLINE = 30
AD_DESCRIPTION = 90
AD_HEADLINES = 8
PUSH_TITLE = 50
PUSH_BODY = 150
LANDING_HEADLINE = 60  # no channel limit: a headline longer than this reads as a paragraph
HASHTAG_BUILT = 30  # a tag made of a longer text is unreadable (the limit is 100)
HASHTAGS = 8

# One emoji for a caption's first line, by tone family (none for calm or professional copy).
_EMOJI = {"energetic": "⚡", "playful": "🎉", "friendly": "😊", "luxurious": "✨"}
_POINTER = "👉"
_NOT_TAG = re.compile(r"[^\w]+")

Shape = Callable[[Pen, Framework, int], Content]


def _flatten(paragraphs: Sequence[Sequence[Slot]], *, paragraph_sep: str = "\n\n") -> list[Slot]:
    slots: list[Slot] = []
    for paragraph in paragraphs:
        for index, slot in enumerate(paragraph):
            sep = paragraph_sep if index == 0 else " "
            slots.append(replace(slot, sep=sep))
    return slots


def _plain(paragraphs: Sequence[Sequence[Slot]]) -> str:
    return "\n\n".join(
        " ".join(slot.options[0] for slot in paragraph if slot.options)
        for paragraph in paragraphs
        if paragraph
    )


def sentence(text: str) -> str:
    """A brief text as a sentence of its own (a full stop unless it already ends one)."""
    return text if ends_sentence(text) else text + "."


def cta_text(pen: Pen) -> str:
    """The brief's call to action, else one of the bank's (the same for the whole candidate)."""
    if pen.material.cta:
        return pen.material.cta
    if "cta" not in pen.memo:
        options = pen.options("cta")
        pen.memo["cta"] = options[0] if options else "→"
    return pen.memo["cta"]


def cta_line(pen: Pen, *, url: bool = True) -> tuple[str, ...]:
    """The call to action with the link (when the brief has one), then shorter forms."""
    cta = cta_text(pen)
    options: list[str] = []
    if url and pen.material.url:
        line = pen.pick("cta_url", "cta")
        if line is not None:
            options.append(pen.say(line, cta=cta))
        options.append(pen.material.url)
    if pen.sms:
        options.append(sentence(cta))
    else:
        line = pen.pick("cta_plain", "cta")
        options.append(pen.say(line, cta=cta) if line is not None else cta)
    return tuple(options)


def _fit(slots: Sequence[Slot], limit: int | None) -> str:
    return fit(slots, chars(limit), within(limit))


def cta_slot(pen: Pen, *, url: bool = True) -> Slot:
    """The call to action as a slot: with the link, then the link alone, then the words."""
    options = cta_line(pen, url=url)
    quality = (1.0, 0.8, 0.7) if len(options) == 3 else None
    return Slot(options, CTA, quality=quality)


def _emoji(pen: Pen) -> str | None:
    for family in ("energetic", "playful", "friendly", "luxurious"):
        if family in pen.tones:
            return _EMOJI[family]
    return None


def _with_emoji(pen: Pen, paragraphs: list[list[Slot]]) -> list[list[Slot]]:
    emoji = _emoji(pen)
    if emoji is None or not paragraphs or not paragraphs[0]:
        return paragraphs
    first = paragraphs[0][0]
    decorated = replace(first, options=tuple(f"{o} {emoji}" for o in first.options))
    return [[decorated, *paragraphs[0][1:]], *paragraphs[1:]]


def hashtags(pen: Pen) -> list[str]:
    """Tags from the product, the brand and short key messages (no ``#``, no spaces)."""
    m = pen.material
    sources = [m.product, *([m.brand] if m.brand else [])]
    sources += [f for f in m.facts if len(f.split()) <= 4]
    tags: list[str] = []
    seen: set[str] = set()
    for text in sources:
        tag = "".join(w[:1].upper() + w[1:] for w in _NOT_TAG.split(text) if w)
        if tag and len(tag) <= HASHTAG_BUILT and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    for line in pen.bank.lines("hashtag"):
        if len(tags) >= 4:
            break
        if line.text.casefold() not in seen:
            seen.add(line.text.casefold())
            tags.append(line.text)
    return tags[:HASHTAGS]


# ---------------------------------------------------------------------- channels


def email(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    m = pen.material
    subject = title(pen, SUBJECTS[framework], EMAIL_SUBJECT)
    paragraphs = [_plain(body(pen, framework, bullets=framework in ("AIDA", "FAB")))]
    if "friendly" in pen.tones and pen.rng.random() < 0.5:
        greeting = pen.pick("greeting")
        if greeting is not None:
            paragraphs.insert(0, pen.say(greeting))
    close = pen.options("close")
    paragraphs += [*close, cta_line(pen)[0]]
    if m.brand:
        signoff = pen.options("signoff")
        paragraphs += signoff
    offer_in_subject = m.offer is not None and m.offer in subject
    lead = [] if offer_in_subject else offer_slots(pen, alts=2)
    preheader = _fit(
        [*lead, *target_slots(pen, alts=2, limit=1), *_benefit(pen)][:2], EMAIL_PREHEADER
    )
    if not preheader:
        preheader = title(pen, ("tagline",), EMAIL_PREHEADER)
    return {"subject": subject, "preheader": preheader, "body": "\n\n".join(paragraphs)}


def _benefit(pen: Pen) -> list[Slot]:
    options = pen.options("benefit", alts=2)
    return [Slot(options, 30)] if options else []


def instagram(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    paragraphs = _with_emoji(pen, body(pen, framework, bullets=framework in ("AIDA", "FAB")))
    line = pen.pick("social_cta", "cta")
    cta = pen.say(line, cta=cta_text(pen)) if line is not None else cta_text(pen)
    if _emoji(pen) is not None:
        cta = f"{_POINTER} {cta}"
    slots = _flatten([*paragraphs, [Slot((cta,), CTA)]])
    caption = _fit(slots, INSTAGRAM_CAPTION) or title(pen, ("tagline",), None)
    return {"caption": caption, "hashtags": hashtags(pen)}


def x_post(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    paragraphs = body(pen, framework, bullets=False, alts=2)
    closing = [Slot(pen.options("close", alts=1), CLOSE), cta_slot(pen)]
    text = _fit(_flatten([*paragraphs, closing]), X_TEXT)
    return {"text": text or title(pen, ("tagline",), X_TEXT)}


def linkedin(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    paragraphs = body(pen, framework, bullets=framework in ("AIDA", "FAB", "4U"))
    closing = [Slot(pen.options("close", alts=1), CLOSE), cta_slot(pen)]
    tags = " ".join("#" + tag for tag in hashtags(pen)[:3])
    extra = [[Slot((tags,), EXTRA)]] if tags else []
    text = _fit(_flatten([*paragraphs, closing, *extra]), LINKEDIN_TEXT)
    return {"text": text or title(pen, ("tagline",), LINKEDIN_TEXT)}


def sms(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    m = pen.material
    fits = within_sms(sms_segments)
    slots: list[Slot] = []
    if m.brand:  # who sends it
        slots.append(Slot((m.brand + ":",), BRAND))
    # Key messages in another language would outweigh an SMS's own words: they stay out, and
    # a hook gives the message more of the copy's language.
    foreign = "facts" in m.foreign
    lead = pen.options("hook", alts=1) if framework in ("AIDA", "BAB") or foreign else ()
    if lead:
        slots.append(Slot(lead, 15))
    slots += present_slots(pen, alts=2, bullets=False, facts_too=not foreign)[:1]
    slots += offer_slots(pen, alts=2)
    slots += include_slots(pen, alts=2)
    slots.append(Slot(pen.options("close", alts=1), CLOSE))
    slots.append(cta_slot(pen))
    text = fit(slots, sms_budget(sms_segments), fits)
    if not text:
        text = title(pen, ("tagline",), None)
        if not fits(text):
            text = min((pen.say(line, title=True) for line in pen.bank.lines("tagline")), key=len)
    return {"text": text}


def push(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    m = pen.material
    heading = title(pen, PUSH_TITLES[framework], PUSH_TITLE)
    slots: list[Slot] = []
    if m.product not in heading:
        slots += present_slots(pen, alts=2, bullets=False)[:1]
    else:
        slots += target_slots(pen, alts=2, limit=1) or _benefit(pen)
    if not m.offer or m.offer not in heading:
        slots += offer_slots(pen, alts=2)
    slots += include_slots(pen, alts=2)
    slots.append(Slot(pen.options("close", alts=1), CLOSE))
    text = _fit(slots, PUSH_BODY) or title(pen, ("tagline",), PUSH_BODY)
    return {"title": heading, "body": text}


def landing(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    headline = title(pen, HEADLINES[framework], LANDING_HEADLINE)
    sub = [*target_slots(pen, alts=0, limit=1), *offer_slots(pen, alts=0)]
    subheadline = _plain([sub]) or title(pen, ("tagline",), None)
    paragraphs = body(pen, framework, bullets=framework in ("AIDA", "FAB", "4U"))
    return {
        "headline": headline,
        "subheadline": subheadline,
        "body": _plain(paragraphs),
        "cta": cta_text(pen),
    }


def google_search(pen: Pen, framework: Framework, sms_segments: int) -> Content:
    headlines = _ad_headlines(pen)
    descriptions = _ad_descriptions(pen, framework)
    # A must-include term too long for any description may still fit as a headline.
    joined = "\n".join(descriptions)
    for term in pen.material.includes:
        if term not in joined and term not in headlines:
            line = pen.pick("include", "term", commit=False)
            framed = pen.say(line, title=True, term=term) if line is not None else term
            for text in (framed, term):
                if len(text) <= AD_HEADLINE:
                    headlines.insert(1, text)
                    break
    return {"headlines": headlines[:15], "descriptions": descriptions[:4]}


def _ad_headlines(pen: Pen) -> list[str]:
    """The product, the offer, the call to action, the facts, then taglines (no "!": the ad
    platforms refuse it in headlines)."""
    m = pen.material
    headlines: list[str] = []

    def add(text: str | None) -> bool:
        fits = bool(text) and text is not None and len(text) <= AD_HEADLINE and "!" not in text
        if fits and text is not None and text.casefold() not in {h.casefold() for h in headlines}:
            headlines.append(text)
            return True
        return False

    add(m.product)
    if m.offer:
        add(pen.frame("colon", m.product, m.offer))
        if not starts_lower(m.offer):
            add(m.offer)
    add(cta_text(pen))
    for fact in m.facts:
        if starts_lower(fact) or not add(fact):
            line = pen.pick("fact_title", "fact", commit=False)
            if line is not None and add(pen.say(line, title=True, fact=fact)):
                pen.take(line)
    taglines = [line for line in pen.bank.lines("tagline") if line.text not in pen.used]
    pen.rng.shuffle(taglines)
    for line in taglines:
        if len(headlines) >= AD_HEADLINES:
            break
        if add(pen.say(line, title=True)):
            pen.take(line)
    for line in pen.bank.lines("cta"):
        if len(headlines) >= 3:
            break
        add(pen.say(line, title=True))
    return headlines


# The line that opens an ad's first description, by framework (FAB opens with the features).
_AD_LEAD = {"AIDA": "hook", "PAS": "problem", "BAB": "after", "4U": "motivator:urgency"}


def _ad_descriptions(pen: Pen, framework: Framework) -> list[str]:
    """Two to three descriptions: the framework's opening with the product and its facts, the
    offer and the terms that must be there with the call to action, an emotional line with a
    close."""
    lead = _AD_LEAD.get(framework)
    opening = [Slot(pen.options(lead, alts=2), 40)] if lead and pen.bank.lines(lead) else []
    parts = [
        [
            *[s for s in opening if s.options],
            *present_slots(pen, alts=2, bullets=False),
            *target_slots(pen, alts=2, limit=1),
        ],
        [
            *offer_slots(pen, alts=2),
            *include_slots(pen, alts=2),
            Slot((sentence(cta_text(pen)),), CTA),
        ],
        [
            *target_slots(pen, alts=2, limit=1, skip=1),
            *_benefit(pen),
            Slot(pen.options("close", alts=1), CLOSE),
        ],
    ]
    descriptions: list[str] = []
    for slots in parts:
        text = _fit(slots, AD_DESCRIPTION)
        if text and text not in descriptions:
            descriptions.append(text)
    for line in pen.bank.lines("benefit"):
        if len(descriptions) >= 2:
            break
        text = pen.say(line)
        if len(text) <= AD_DESCRIPTION and text not in descriptions:
            descriptions.append(text)
    return descriptions


SHAPES: dict[str, Shape] = {
    "email": email,
    "social:instagram": instagram,
    "social:x": x_post,
    "social:linkedin": linkedin,
    "ad:google_search": google_search,
    "sms": sms,
    "push": push,
    "landing": landing,
}

__all__ = ["SHAPES", "Shape"]
