"""Every candidate's scores, its problems, and the ranking with a one-line reason.

A candidate is read as the channel's parts joined (subject, preheader, body ...). It gets:

- ``brand_consistency`` (0-100, None without a brand): the brand voice's score of the copy when
  the brand has a trained voice, else 100 minus 25 per guideline error and 10 per warning.
- ``emotional_resonance``: ``overall`` (0-1, None without targets) and the score per target
  (``analysis.resonance``). The emotion model reads English only: in other languages an emotion
  target is None (not measured) and ``overall`` is the mean over the targets measured (the
  motivators' lexicons cover en, de, es, fr, it, pt).
- ``cultural_adaptation``: the locale, the formality asked for, the conventions applied (number
  and date formats, quotation marks) and the culture findings (``analysis.culture``).
- ``scores``: readability, the detected language, the guideline violations, the channel and
  safety findings.

``problems`` are what disqualifies a candidate: over a limit, a missing part, must-include text
missing, a must-avoid or banned term, copy in another language, an unresolved placeholder,
instructions leaked from the prompt. The ranking puts candidates without problems first, then by
``rank_score`` (the brand's voice 0.45, resonance 0.35, readability fit 0.20 -- the weights of
the parts present, renormalized).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from brandloom.generation.channels import Channel, Content, check_content
from brandloom.kit.locale import language_of

if TYPE_CHECKING:
    from brandloom.analysis.brand_rules import BrandLinter
    from brandloom.analysis.voice import VoiceProfile

_PLACEHOLDER = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\[(?:name|first name|product|company|brand|link|url|date|"
    r"insert[^\]]*|your [^\]]*)\]|\{(?:name|first_name|product|link|url)\}|<[A-Z_ ]{3,}>|"
    r"\b(?:lorem ipsum|(?-i:TODO|TBD|XXX))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_LEAK_NGRAM = 8  # this many consecutive words of the system prompt in the copy is a leak


@dataclass(frozen=True, slots=True)
class BrandJudge:
    """What scores copy against a brand: its voice (if trained) and its linter (if it has
    guidelines)."""

    name: str
    voice: VoiceProfile | None = None
    linter: BrandLinter | None = None
    formality: Mapping[str, str] = field(default_factory=dict)  # language -> formal|informal
    banned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # language -> terms


def joined_text(channel: Channel, content: Mapping[str, Any]) -> str:
    """The candidate's copy as one text, parts in the channel's order."""
    pieces: list[str] = []
    for name in channel.part_names:
        value = content.get(name)
        if isinstance(value, list):
            if name == "hashtags":
                continue  # tags are not prose
            pieces.extend(str(v) for v in value)
        elif isinstance(value, str):
            pieces.append(value)
    return "\n\n".join(p for p in pieces if p.strip())


def _term_pattern(term: str) -> re.Pattern[str]:
    escaped = re.escape(term.strip())
    return re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)


def safety_findings(
    content: Mapping[str, Any],
    *,
    must_include: Sequence[str],
    avoid: Sequence[str],
    system_prompt: str | None,
) -> list[dict[str, str]]:
    """What makes copy unacceptable whatever its scores (codes ``copy.*``)."""
    everything = all_text(content)
    found = missing_terms(content, must_include)
    for term in avoid:
        if term.strip() and _term_pattern(term).search(everything):
            found.append({"code": "copy.must_avoid", "message": f"uses {term!r}"})
    placeholder = _PLACEHOLDER.search(everything)
    if placeholder:
        found.append(
            {
                "code": "copy.placeholder",
                "message": f"unresolved placeholder {placeholder.group(0)[:40]!r}",
            }
        )
    if system_prompt and _leaks(system_prompt, everything):
        found.append({"code": "copy.prompt_leak", "message": "repeats the writer's instructions"})
    return found


def all_text(content: Mapping[str, Any]) -> str:
    """Every text of a candidate, hashtags and list items included."""
    return "\n".join(
        str(v)
        for value in content.values()
        for v in (value if isinstance(value, list) else [value])
    )


def missing_terms(content: Mapping[str, Any], terms: Sequence[str]) -> list[dict[str, str]]:
    """A ``copy.must_include_missing`` finding for each term the candidate lacks (verbatim,
    case aside)."""
    folded = all_text(content).casefold()
    return [
        {"code": "copy.must_include_missing", "message": f"missing {term!r}"}
        for term in terms
        if term.strip() and term.strip().casefold() not in folded
    ]


def _leaks(prompt: str, text: str) -> bool:
    words = [w.casefold() for w in _WORD.findall(prompt)]
    grams = {tuple(words[i : i + _LEAK_NGRAM]) for i in range(len(words) - _LEAK_NGRAM + 1)}
    seen = [w.casefold() for w in _WORD.findall(text)]
    return any(
        tuple(seen[i : i + _LEAK_NGRAM]) in grams for i in range(len(seen) - _LEAK_NGRAM + 1)
    )


def score_candidates(
    items: Sequence[tuple[Channel, str, Content]],
    *,
    targets: Sequence[str],
    must_include: Mapping[str, Sequence[str]],
    avoid: Mapping[str, Sequence[str]],
    formality: Mapping[str, str | None],
    brand: BrandJudge | None,
    system_prompt: str | None,
    sms_segments: int = 1,
) -> list[dict[str, Any]]:
    """The scores of each ``(channel, locale, content)``, in order (batched: the language and
    emotion models run once over all of them). ``must_include``/``avoid``/``formality`` are
    per language."""
    from brandloom.analysis import culture as culture_mod
    from brandloom.analysis.language import detector
    from brandloom.analysis.motivators import motivators
    from brandloom.analysis.readability import readability
    from brandloom.analysis.resonance import EMOTIONS, resonance

    texts = [joined_text(channel, content) for channel, _, content in items]
    locales = [locale for _, locale, _ in items]
    # links say nothing of the copy's language
    detections = detector().detect_many([_URL.sub(" ", t) for t in texts], priors=locales)
    wanted_emotions = [t for t in targets if t in EMOTIONS]
    english = [i for i, loc in enumerate(locales) if language_of(loc) == "en" and texts[i].strip()]
    emotion_rows: dict[int, dict[str, float]] = {}
    if wanted_emotions and english:
        from brandloom.analysis.emotion import EmotionModel

        model = EmotionModel.load()
        proba = model.predict_proba([texts[i] for i in english])
        for row, i in zip(proba, english, strict=True):
            emotion_rows[i] = {label: float(p) for label, p in zip(model.labels_, row, strict=True)}
    results: list[dict[str, Any]] = []
    voice_scores = _voice_scores(brand, texts, locales)
    for i, (channel, locale, content) in enumerate(items):
        text = texts[i]
        language = language_of(locale)
        detected = detections[i].language
        problems: list[dict[str, str]] = [
            {"code": f.code, "message": f"{f.part}: {f.message}"}
            for f in check_content(channel, content, sms_segments=sms_segments)
        ]
        problems += safety_findings(
            content,
            must_include=must_include.get(language, ()),
            avoid=avoid.get(language, ()),
            system_prompt=system_prompt,
        )
        if detected is not None and detected != language and len(text) >= 40:
            problems.append(
                {
                    "code": "copy.wrong_language",
                    "message": f"written in {detected}, the locale's language is {language}",
                }
            )
        register = formality.get(language)
        try:
            culture = culture_mod.culture_check(text, locale, language=detected, formality=register)
            profile = culture_mod.locale_profile(locale)
        except culture_mod.UnknownLocaleError:
            culture, profile = [], {}
        # resonance
        motivator_scores = motivators(text, language)
        emotions = emotion_rows.get(i, {})
        if targets:
            res = resonance(targets, emotions=emotions, motivators=motivator_scores)
            per_target: dict[str, float | None] = dict(res["targets"])
            if i not in emotion_rows:
                for name in wanted_emotions:
                    if name not in ("curiosity",):
                        per_target[name] = None  # the emotion model reads English only
            measured = [v for v in per_target.values() if v is not None]
            overall = round(sum(measured) / len(measured), 4) if measured else None
        else:
            per_target, overall = {}, None
        read = readability(text, language)
        violations: list[dict[str, Any]] = []
        consistency: float | None = None
        if brand is not None:
            if brand.linter is not None:
                violations = [
                    v.to_dict()
                    for v in brand.linter.lint(
                        text, channel=channel.name.split(":", 1)[0], locale=locale
                    )
                ]
                for v in violations:
                    if v["severity"] == "error":
                        problems.append({"code": v["code"], "message": v["message"]})
            if voice_scores is not None:
                consistency = voice_scores[i]
            else:
                fails = sum(1 for v in violations if v["severity"] == "error")
                consistency = float(max(0, 100 - 25 * fails - 10 * (len(violations) - fails)))
        rank = _rank(consistency, overall, read)
        results.append(
            {
                "brand_consistency": consistency,
                "emotional_resonance": {"overall": overall, "targets": per_target},
                "cultural_adaptation": {
                    "locale": locale,
                    "formality": register or profile.get("register", {}).get("default"),
                    "formats_applied": _formats(profile),
                    "findings": culture,
                },
                "scores": {
                    "language": detected,
                    "language_confidence": round(detections[i].confidence, 4),
                    "readability": read,
                    "motivators": {
                        k: v["score"] for k, v in motivator_scores.items() if v.get("score")
                    },
                    "brand_violations": violations,
                    "characters": {
                        name: ([len(x) for x in value] if isinstance(value, list) else len(value))
                        for name, value in content.items()
                    },
                },
                "problems": problems,
                "rank_score": rank,
            }
        )
    return results


def _voice_scores(
    brand: BrandJudge | None, texts: Sequence[str], locales: Sequence[str]
) -> list[float] | None:
    if brand is None or brand.voice is None:
        return None
    out: list[float] = []
    for text, locale in zip(texts, locales, strict=True):
        result = brand.voice.score([text], locale=locale, tone=False)[0]
        out.append(round(float(result.score), 1))
    return out


def _formats(profile: Mapping[str, Any]) -> dict[str, Any]:
    if not profile:
        return {}
    quotes = profile.get("quotes") or {}
    return {
        "decimal_symbol": profile.get("decimal_symbol"),
        "group_symbol": profile.get("group_symbol"),
        "currency_example": profile.get("currency_example"),
        "date_example": (profile.get("date_format") or {}).get("short_example"),
        "quotes": f"{quotes.get('start', '')}…{quotes.get('end', '')}" if quotes else None,
        "direction": "rtl" if profile.get("rtl") else "ltr",
    }


def _rank(consistency: float | None, resonance: float | None, read: Mapping[str, Any]) -> float:
    parts: list[tuple[float, float]] = []
    if consistency is not None:
        parts.append((0.45, consistency / 100.0))
    if resonance is not None:
        parts.append((0.35, resonance))
    grade = read.get("grade")
    if isinstance(grade, int | float):
        # marketing copy reads best around grade 6-8; every grade beyond costs
        parts.append((0.20, max(0.0, 1.0 - max(0.0, float(grade) - 8.0) / 8.0)))
    total = sum(w for w, _ in parts)
    return sum(w * v for w, v in parts) / total if total else 0.0


def best_reason(best: Mapping[str, Any], others: Sequence[Mapping[str, Any]]) -> str:
    """One line on why ``best`` won over ``others`` (same channel and locale)."""
    if not others:
        return "the only candidate"
    if not best["problems"] and all(o["problems"] for o in others):
        return "the only candidate without problems"
    notes: list[str] = []
    mine = best.get("brand_consistency")
    theirs: list[float] = [
        float(o["brand_consistency"]) for o in others if o.get("brand_consistency") is not None
    ]
    if mine is not None and theirs:
        notes.append(f"brand voice {mine:.0f} (next {max(theirs):.0f})")
    res = best["emotional_resonance"].get("overall")
    other_res: list[float] = [
        float(o["emotional_resonance"]["overall"])
        for o in others
        if o["emotional_resonance"].get("overall") is not None
    ]
    if res is not None and other_res:
        notes.append(f"resonance {res:.2f} (next {max(other_res):.2f})")
    grade = best["scores"]["readability"].get("grade")
    if grade is not None:
        notes.append(f"reading grade {grade:.0f}")
    return "highest overall score: " + ", ".join(notes) if notes else "highest overall score"


def warm_up(languages: Sequence[str], *, emotions: bool) -> None:
    """Load what scoring needs for ``languages`` (the language, emotion and engagement models,
    motivator lexicons, hyphenation patterns), so that a caller can do it on another thread while it
    does other work: every load is once per process, so scoring then finds them ready."""
    from brandloom.analysis.language import detector
    from brandloom.analysis.motivators import motivators
    from brandloom.analysis.readability import readability

    if "en" in languages:
        from brandloom.prediction.model import EngagementModel

        EngagementModel.load()  # English candidates get a predicted performance
        if emotions:
            from brandloom.analysis.emotion import EmotionModel

            EmotionModel.load()
    detector()
    for language in languages:
        motivators("", language)
        readability("Warm up.", language)
