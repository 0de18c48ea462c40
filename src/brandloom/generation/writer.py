"""Copy from a brief: candidates per channel and locale, scored, checked and ranked.

``write_copy`` is the whole pipeline without a database: the caller (``generation.service``)
loads the brand and picks the writer. For each channel and locale the writer -- the offline
writer, or an LLM behind a :class:`~brandloom.providers.llm.reliability.ProviderChain` --
returns ``n`` candidates; LLM calls for all channels and locales run concurrently. Every
candidate is then checked (limits, must-include, must-avoid and banned terms, placeholders,
leaked instructions, language) and scored (``generation.scoring``). LLM output that fails the
safety checks is not accepted: the call is repeated once with the problems listed, and what still
fails is reported under ``rejected``, never returned as a candidate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from brandloom.generation.brief import Brief
from brandloom.generation.channels import CHANNELS, Channel, Content
from brandloom.generation.prompts import (
    COPY_SYSTEM,
    PROMPT_VERSION,
    BrandNotes,
    copy_request,
    data_block,
)
from brandloom.generation.scoring import BrandJudge, best_reason, score_candidates
from brandloom.kit.locale import language_of
from brandloom.providers.llm.base import ZERO_USAGE, InvalidOutput, LLMRequest, Usage

if TYPE_CHECKING:
    from brandloom.providers.llm.reliability import ProviderChain

_SAFETY = frozenset(
    {"copy.must_avoid", "copy.placeholder", "copy.prompt_leak", "brand.banned_term"}
)
CONCURRENCY = 16  # LLM calls in flight for one brief


@dataclass(frozen=True, slots=True)
class BrandContext:
    """A brand as the writer and the scorer need it (loaded by the service)."""

    notes: BrandNotes
    judge: BrandJudge
    formality: Mapping[str, str] = field(default_factory=dict)  # language -> formal|informal
    banned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # language -> terms
    glossary: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # language -> map
    disclaimers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # channel -> texts
    guidelines_version: int | None = None
    voice_id: str | None = None

    def formality_for(self, language: str) -> str | None:
        value = self.formality.get(language) or self.formality.get("*")
        return value if value in ("formal", "informal") else None


@dataclass(frozen=True, slots=True)
class WriterChoice:
    """Who writes: ``offline``, or an LLM chain (its first entry names provider and model)."""

    kind: Literal["offline", "llm"]
    chain: ProviderChain | None = None
    provider: str = "offline"
    model: str | None = None


def culture_of(locale: str) -> dict[str, Any]:
    from brandloom.analysis.culture import UnknownLocaleError, locale_profile

    try:
        return locale_profile(locale)
    except UnknownLocaleError:
        return {"locale": locale, "language": language_of(locale)}


def must_include_terms(
    brief: Brief, brand: BrandContext | None, channel: Channel, language: str
) -> list[str]:
    terms = brief.must_include_for(language)
    if brand is not None:
        kind = channel.name.split(":", 1)[0]
        for text in (*brand.disclaimers.get("*", ()), *brand.disclaimers.get(kind, ())):
            if text not in terms:
                terms.append(text)
    return terms


def avoid_terms(brief: Brief, brand: BrandContext | None, language: str) -> list[str]:
    terms = list(brief.must_avoid)
    if brand is not None:
        terms += [t for t in brand.banned.get(language, ()) if t not in terms]
    return terms


@dataclass(slots=True)
class _Batch:
    channel: Channel
    locale: str
    drafts: list[Content]
    writer: dict[str, Any]
    usage: Usage = ZERO_USAGE
    rejected: list[dict[str, Any]] = field(default_factory=list)


async def write_copy(
    brief: Brief,
    *,
    choice: WriterChoice,
    brand: BrandContext | None = None,
    n: int | None = None,
    seed: int = 0,
    predictor: Any = None,
) -> dict[str, Any]:
    """``{"candidates", "best", "reasons", "rejected", "usage", "writer", "prompt_version"}``
    for every channel and locale of ``brief``. ``predictor``: an engagement model (``predict``
    and ``basis``) that fills each candidate's ``predicted_performance`` and joins the
    ranking."""
    count = n or brief.n
    pairs = [(CHANNELS[c], loc) for c in brief.channels for loc in brief.locales]
    if choice.kind == "offline":
        batches = [_offline_batch(brief, ch, loc, brand, count, seed) for ch, loc in pairs]
    else:
        assert choice.chain is not None
        gate = asyncio.Semaphore(CONCURRENCY)
        batches = list(
            await asyncio.gather(
                *(_llm_batch(brief, ch, loc, brand, count, choice, gate) for ch, loc in pairs)
            )
        )
    scored = await asyncio.to_thread(_score, brief, brand, batches, choice, predictor)
    return _ranked(scored, batches, choice)


def _offline_batch(
    brief: Brief, channel: Channel, locale: str, brand: BrandContext | None, n: int, seed: int
) -> _Batch:
    from brandloom.generation.offline import NOT_AN_LLM_NOTE, OfflineWriter, WritingContext

    language = language_of(locale)
    context = WritingContext(
        locale=locale,
        formality=brand.formality_for(language) if brand else None,  # type: ignore[arg-type]
        brand_name=brand.notes.name if brand else None,
        banned=tuple(avoid_terms(brief, brand, language)),
        glossary=dict(brand.glossary.get(language, {})) if brand else {},
        must_include=tuple(must_include_terms(brief, brand, channel, language)),
    )
    drafts = OfflineWriter().write(brief.localized(language), channel, context, n, seed=seed)
    writer: dict[str, Any] = {"name": "offline", "model": None, "note": NOT_AN_LLM_NOTE}
    notes = sorted({note for d in drafts for note in d.notes})
    if notes:
        writer["notes"] = notes
    return _Batch(channel, locale, [d.content for d in drafts], writer)


async def _llm_batch(
    brief: Brief,
    channel: Channel,
    locale: str,
    brand: BrandContext | None,
    n: int,
    choice: WriterChoice,
    gate: asyncio.Semaphore,
) -> _Batch:
    from brandloom.generation.scoring import safety_findings

    assert choice.chain is not None
    language = language_of(locale)
    must = must_include_terms(brief, brand, channel, language)
    avoid = avoid_terms(brief, brand, language)
    request = copy_request(
        brief.localized(language),
        channel,
        locale,
        n=n,
        model=choice.model or "",
        formality=brand.formality_for(language) if brand else None,
        culture=culture_of(locale),
        brand=notes_for(brand, language),
        must_include=must,
        banned=avoid,
    )
    usage = ZERO_USAGE
    rejected: list[dict[str, Any]] = []
    accepted: list[Content] = []
    writer: dict[str, Any] = {"name": choice.provider, "model": choice.model}
    for attempt in range(2):
        async with gate:
            response = await choice.chain.complete(request)
        usage = usage + response.usage
        writer = {"name": response.provider, "model": response.model, "cached": response.cached}
        drafts = _drafts(response.data, n)
        problems_seen: list[str] = []
        for content in drafts:
            found = safety_findings(
                content,
                must_include=(),
                avoid=avoid,
                system_prompt=COPY_SYSTEM,
            )
            unsafe = [f for f in found if f["code"] in _SAFETY]
            if unsafe:
                rejected.append(
                    {
                        "channel": channel.name,
                        "locale": locale,
                        "content": content,
                        "problems": unsafe,
                        "attempt": attempt + 1,
                    }
                )
                problems_seen += [f["message"] for f in unsafe]
            else:
                accepted.append(content)
        if accepted or attempt == 1:
            break
        # every candidate failed the safety checks: ask once more, saying what was wrong
        request = _retry(request, problems_seen)
    return _Batch(channel, locale, accepted[:n], writer, usage, rejected)


def _retry(request: LLMRequest, problems: Sequence[str]) -> LLMRequest:
    return request.followed_by(
        "The previous answer could not be used; its problems are listed in the data. Write new "
        "candidates that follow every rule.\n"
        + data_block({"problems": sorted(set(problems))[:10]})
    )


def _drafts(data: Any, n: int) -> list[Content]:
    if not isinstance(data, dict) or not isinstance(data.get("candidates"), list):
        raise InvalidOutput("the answer has no 'candidates' list")
    out: list[Content] = []
    for item in data["candidates"][:n]:
        if isinstance(item, dict):
            out.append({str(k): v for k, v in item.items() if isinstance(v, str | list)})
    return out


def notes_for(brand: BrandContext | None, language: str) -> BrandNotes | None:
    if brand is None:
        return None
    notes = brand.notes
    return BrandNotes(
        name=notes.name,
        tone=notes.tone,
        do=notes.do,
        dont=notes.dont,
        banned=brand.banned.get(language, ()),
        glossary=dict(brand.glossary.get(language, {})),
        examples=notes.examples,
        reading_grade=notes.reading_grade,
        emoji=notes.emoji,
        exclamation=notes.exclamation,
    )


def _score(
    brief: Brief,
    brand: BrandContext | None,
    batches: Sequence[_Batch],
    choice: WriterChoice,
    predictor: Any = None,
) -> list[dict[str, Any]]:
    from brandloom.generation.scoring import missing_terms

    items = [(b.channel, b.locale, c) for b in batches for c in b.drafts]
    languages = {language_of(loc) for loc in brief.locales}
    results = score_candidates(
        items,
        targets=brief.target_emotions,
        must_include={},  # per channel (disclaimers): checked below
        avoid={lang: avoid_terms(brief, brand, lang) for lang in languages},
        formality={lang: brand.formality_for(lang) if brand else None for lang in languages},
        brand=brand.judge if brand else None,
        system_prompt=COPY_SYSTEM if choice.kind == "llm" else None,
        sms_segments=brief.sms_segments,
    )
    for (channel, locale, content), result in zip(items, results, strict=True):
        must = must_include_terms(brief, brand, channel, language_of(locale))
        result["problems"] += missing_terms(content, must)
    if predictor is not None and items:
        _predicted(predictor, items, results)
    return results


# The part a candidate is predicted on: what a reader sees first, as in a headline test.
LEAD_PART = {
    "email": "subject",
    "push": "title",
    "landing": "headline",
    "ad:google_search": "headlines",
    "social:x": "text",
    "social:linkedin": "text",
    "social:instagram": "caption",
    "sms": "text",
}
PREDICTION_WEIGHT = 0.2  # of the rank: P(the lead beats a typical rival), from the predictor


def _lead(channel: Channel, content: Content) -> str:
    value = content.get(LEAD_PART.get(channel.name, channel.part_names[0]), "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value.strip().split("\n", 1)[0][:300]


def _predicted(
    predictor: Any, items: Sequence[tuple[Channel, str, Content]], results: list[dict[str, Any]]
) -> None:
    """Fill ``predicted_performance`` of English candidates and let it move their rank by the
    probability that the lead text beats a typical rival (its score over its uncertainty: an
    unsure prediction moves the rank little). Candidates of one channel and locale compete
    only with each other, so the shift never favours one language over another."""
    import math

    # the model learned from English headlines: other languages get no prediction
    english = [i for i, (_, locale, _) in enumerate(items) if language_of(locale) == "en"]
    if not english:
        return
    predictions = predictor.predict([_lead(items[i][0], items[i][2]) for i in english])
    for i, prediction in zip(english, predictions, strict=True):
        channel, result = items[i][0], results[i]
        score, spread = float(prediction.score), max(float(prediction.uncertainty), 1e-6)
        better = 0.5 * (1 + math.erf(score / spread / math.sqrt(2)))
        result["predicted_performance"] = {
            "score": round(score, 4),
            "uncertainty": round(spread, 4),
            "p_better_than_typical": round(better, 4),
            "part": LEAD_PART.get(channel.name, channel.part_names[0]),
            "basis": predictor.basis,
        }
        result["rank_score"] = (1 - PREDICTION_WEIGHT) * result["rank_score"] + (
            PREDICTION_WEIGHT * better
        )


def _ranked(
    scored: Sequence[dict[str, Any]], batches: Sequence[_Batch], choice: WriterChoice
) -> dict[str, Any]:
    candidates: list[dict[str, Any]] = []
    best: dict[str, int] = {}
    reasons: dict[str, str] = {}
    rejected: list[dict[str, Any]] = []
    usage = ZERO_USAGE
    it = iter(scored)
    for batch in batches:
        usage = usage + batch.usage
        rejected += batch.rejected
        group: list[dict[str, Any]] = []
        for content in batch.drafts:
            result = next(it)
            group.append(
                {
                    "channel": batch.channel.name,
                    "locale": batch.locale,
                    "content": content,
                    "brand_consistency": result["brand_consistency"],
                    "emotional_resonance": result["emotional_resonance"],
                    "cultural_adaptation": result["cultural_adaptation"],
                    "predicted_performance": result.get("predicted_performance"),
                    "scores": {**result["scores"], "rank": round(result["rank_score"], 4)},
                    "problems": result["problems"],
                    "writer": batch.writer,
                    "usage": (batch.usage.to_data() if not group else ZERO_USAGE.to_data()),
                }
            )
        if not group:
            continue
        order = sorted(
            range(len(group)),
            key=lambda i: (bool(group[i]["problems"]), -group[i]["scores"]["rank"], i),
        )
        key = f"{batch.channel.name}|{batch.locale}"
        winner = group[order[0]]
        best[key] = len(candidates) + order[0]
        reasons[key] = best_reason(_view(winner), [_view(group[i]) for i in order[1:]])
        candidates.extend(group)
    return {
        "candidates": candidates,
        "best": best,
        "reasons": reasons,
        "rejected": rejected,
        "usage": usage.to_data(),
        "writer": {"provider": choice.provider, "model": choice.model},
        "prompt_version": PROMPT_VERSION,
    }


def _view(candidate: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "problems": candidate["problems"],
        "brand_consistency": candidate["brand_consistency"],
        "emotional_resonance": candidate["emotional_resonance"],
        "scores": candidate["scores"],
    }
