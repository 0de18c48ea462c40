"""A brand's voice learned from its own texts, and how close a new text comes to it.

``VoiceProfile().fit(texts)`` learns, from one brand's texts only:

- **vocabulary**: which character n-grams (2-5, inside words) and word n-grams (1-2) the brand
  uses, against a generic reference corpus shipped with brandloom (``voice.reference.v1``:
  Reddit comments, news headlines and Leipzig news sentences in 28 languages; none of it from
  any brand evaluated in the benchmark). Each n-gram's probability under the brand is the
  brand's count smoothed toward the reference (a Dirichlet prior of strength ``alpha``), so a
  text's mean log-likelihood ratio (brand vs reference) says how much more the brand would
  have written it than anyone. A second view, the cosine to the brand's centroid in TF-IDF
  space (IDF from the reference), is added to it. The distinctive words shown to users are
  the brand's words with the highest log-odds against the reference (with the same prior).
- **style**: the distribution (mean, spread) of sentence and word length, exclamation and
  question marks, emoji, capital letters, first and second person, contractions and reading
  grade.
- **tone**: the sentiment model's score distribution over the brand's texts (``tone=True``).

``score(texts)`` returns 0-100 overall and per dimension, each with an explanation and a
suggestion; with guidelines, the rule violations come separately (``brand_rules``). A score
depends on the text, this profile (which names its reference version) and the guidelines:
never on other brands. The vocabulary score maps the log-likelihood ratio through one fixed
logistic curve for every brand, so scores are comparable across brands (the curve was set by
cross-validation on the shared brand-attribution data: ``benchmarks/eval_voice.py``).

A multilingual library gets one sub-profile per language with enough texts; a text is scored
against its language's sub-profile when there is one, else against the whole library's.

Serialized with :meth:`to_bytes` as gzip-compressed JSON (``voice.profile.v1``): data, never
code.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brandloom.analysis import artifacts
from brandloom.analysis._segment import sentences, words
from brandloom.analysis.brand_rules import BrandLinter, count_emoji
from brandloom.analysis.features import Tfidf
from brandloom.analysis.guidelines import Guidelines
from brandloom.analysis.readability import readability
from brandloom.errors import ValidationFailed

__all__ = [
    "REFERENCE",
    "VOICE_FORMAT",
    "Reference",
    "VoiceProfile",
    "VoiceScore",
    "clean_text",
]

VOICE_FORMAT = "voice.profile.v1"
REFERENCE = "voice.reference.v1"
MIN_TEXTS = 3
MIN_LANGUAGE_TEXTS = 10
MAX_CHARS = 5_000  # a text's first 5,000 characters carry its voice
# The vocabulary score: 100 * sigmoid(SLOPE * (nb + CENTROID_WEIGHT * cosine) + OFFSET),
# fitted once (balanced logistic regression of own vs other brands' texts, 5-fold CV on
# ../shared/data/brand_voice_twitter_care; benchmarks/eval_voice.py prints it).
SLOPE = 3.87
OFFSET = -2.75
CENTROID_WEIGHT = 2.0
VOCABULARY_WEIGHT = 0.85  # overall = 0.85 vocabulary + 0.15 mean of the other dimensions

_URL = re.compile(r"(?:https?://|www\.)(?:\S*[^\s.,;:!?)\]'\"])?", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_CHAR = Tfidf(analyzer="char_wb", ngram_range=(2, 5))
_WORD = Tfidf(analyzer="word", ngram_range=(1, 2))
_WORD_PREFIX = "w:"

# Pronouns and contractions per language (lower case). Only languages listed here get the
# person and contraction features; others leave them out of the style comparison.
_PERSON_WORDS = {
    "en": {
        "you": "you your yours yourself yourselves you're you've you'll you'd",
        "we": "we us our ours ourselves we're we've we'll we'd",
        "i": "i me my mine myself i'm i've i'll i'd",
    },
    "de": {
        "you": "du dich dir dein deine deinen deinem deiner ihr euch euer eure sie ihnen ihre "
        "ihren ihrem",
        "we": "wir uns unser unsere unseren unserem unserer",
        "i": "ich mich mir mein meine meinen meinem meiner",
    },
    "fr": {
        "you": "tu te toi ton ta tes vous votre vos",
        "we": "nous notre nos",
        "i": "je j' me moi mon ma mes",
    },
    "es": {
        "you": "tú tu tus te ti usted ustedes su sus vosotros vuestro vuestra",
        "we": "nosotros nosotras nuestro nuestra nuestros nuestras nos",
        "i": "yo me mi mis mí",
    },
    "it": {
        "you": "tu ti te tuo tua tuoi tue lei voi vi vostro vostra",
        "we": "noi ci nostro nostra nostri nostre",
        "i": "io mi me mio mia miei mie",
    },
    "pt": {
        "you": "você vocês tu te teu tua seu sua seus suas",
        "we": "nós nos nosso nossa nossos nossas",
        "i": "eu me mim meu minha meus minhas",
    },
}
_PERSON: dict[str, dict[str, frozenset[str]]] = {
    language: {key: frozenset(words.split()) for key, words in table.items()}
    for language, table in _PERSON_WORDS.items()
}
_CONTRACTION = re.compile(r"\b\w+['’](?:s|re|ve|ll|d|t|m)\b", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# (name, what it is in words, how it reads in an explanation)
_STYLE = (
    (
        "sentence_length",
        "words per sentence",
        "sentences average {x:.0f} words; this brand's average {m:.0f}",
    ),
    ("word_length", "letters per word", "words average {x:.1f} letters; this brand's {m:.1f}"),
    (
        "exclamation",
        "exclamation marks per sentence",
        "{x:.2f} exclamation marks per sentence; this brand uses {m:.2f}",
    ),
    (
        "question",
        "questions per sentence",
        "{x:.2f} questions per sentence; this brand asks {m:.2f}",
    ),
    ("emoji", "emoji per 100 words", "{x:.1f} emoji per 100 words; this brand uses {m:.1f}"),
    (
        "capitals",
        "share of capital letters",
        "{x:.0%} of letters are capitals; this brand's {m:.0%}",
    ),
    (
        "you",
        "second person per 100 words",
        "addresses the reader {x:.1f} times per 100 words; this brand {m:.1f}",
    ),
    (
        "we",
        "first person plural per 100 words",
        "says we/our {x:.1f} times per 100 words; this brand {m:.1f}",
    ),
    (
        "i",
        "first person singular per 100 words",
        "says I/my {x:.1f} times per 100 words; this brand {m:.1f}",
    ),
    (
        "contractions",
        "contractions per 100 words",
        "{x:.1f} contractions per 100 words; this brand {m:.1f}",
    ),
    ("grade", "reading grade", "reads at grade {x:.0f}; this brand writes at grade {m:.0f}"),
)
_STYLE_NAMES = tuple(name for name, _, _ in _STYLE)
# The smallest spread a style feature is judged with: a brand whose every text has exactly one
# exclamation mark should not fail a text with two.
_MIN_SPREAD = {
    "sentence_length": 3.0,
    "word_length": 0.35,
    "exclamation": 0.25,
    "question": 0.25,
    "emoji": 1.0,
    "capitals": 0.03,
    "you": 2.0,
    "we": 2.0,
    "i": 2.0,
    "contractions": 1.5,
    "grade": 1.5,
}


def clean_text(text: str) -> str:
    """The text a voice reads: links, e-mail addresses and @handles removed (which link or
    account a text names is not its voice), spaces collapsed, at most ``MAX_CHARS``."""
    text = text[:MAX_CHARS]
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _HANDLE.sub(" ", _EMAIL.sub(" ", text))
    return " ".join(text.split())


def _grams(text: str) -> set[str]:
    """The text's n-grams (a set: a brand's template repeated in one text counts once)."""
    found = set(_CHAR.terms(text))
    found.update(_WORD_PREFIX + w for w in _WORD.terms(text))
    return found


# ------------------------------------------------------------------------------- reference


class Reference:
    """Document frequencies of n-grams in generic text, per language (``voice.reference.v1``)."""

    def __init__(self, tables: dict[str, tuple[dict[str, int], int]]) -> None:
        self._tables = tables  # language -> (n-gram -> documents containing it, documents)

    @classmethod
    def load(cls) -> Reference:
        return artifacts.opened_once(
            REFERENCE, lambda: cls.from_artifact(artifacts.load(REFERENCE))
        )

    @classmethod
    def from_artifact(cls, artifact: artifacts.Artifact) -> Reference:
        tables: dict[str, tuple[dict[str, int], int]] = {}
        for language, info in artifact.meta["languages"].items():
            terms = artifact.arrays[f"{language}.terms"].tobytes().decode("utf-8").split("\x00")
            counts = artifact.arrays[f"{language}.df"].astype(np.int64).tolist()
            tables[language] = (dict(zip(terms, counts, strict=True)), int(info["documents"]))
        return cls(tables)

    def table(self, language: str | None) -> tuple[str, dict[str, int], int]:
        """``(key, n-gram -> document frequency, documents)`` for ``language`` ("all" when
        the reference has no table of its own for it)."""
        key = language if language in self._tables else "all"
        counts, documents = self._tables[key]
        return key, counts, documents


# ------------------------------------------------------------------------------- results


@dataclass
class VoiceScore:
    """One text against one voice."""

    score: float
    dimensions: dict[str, dict[str, Any]]
    violations: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "dimensions": self.dimensions,
            "violations": self.violations,
            "suggestions": self.suggestions,
            "language": self.language,
        }


# ------------------------------------------------------------------------------- one voice


@dataclass
class _Voice:
    """What one body of texts (the whole library, or one language of it) taught."""

    language: str | None
    reference: str  # the reference table's key
    n_texts: int
    total: int  # n-gram occurrences in the brand's texts (per text, each counted once)
    grams: dict[str, tuple[int, float, float]]  # n-gram -> (texts, reference prob, idf)
    centroid: dict[str, float]
    idf_unknown: float
    ref_floor: float
    ref_documents: int
    style_mean: dict[str, float]
    style_spread: dict[str, float]
    distinctive: list[str]
    tone_mean: float | None = None
    tone_spread: float | None = None

    def to_data(self) -> dict[str, Any]:
        grams = sorted(self.grams)
        return {
            "language": self.language,
            "reference": self.reference,
            "n_texts": self.n_texts,
            "total": self.total,
            "grams": grams,
            "gram_texts": [self.grams[g][0] for g in grams],
            "gram_ref": [round(self.grams[g][1], 12) for g in grams],
            "gram_idf": [round(self.grams[g][2], 5) for g in grams],
            "centroid": [round(self.centroid.get(g, 0.0), 6) for g in grams],
            "idf_unknown": self.idf_unknown,
            "ref_floor": self.ref_floor,
            "ref_documents": self.ref_documents,
            "style_mean": self.style_mean,
            "style_spread": self.style_spread,
            "distinctive": self.distinctive,
            "tone_mean": self.tone_mean,
            "tone_spread": self.tone_spread,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> _Voice:
        grams = data["grams"]
        return cls(
            language=data["language"],
            reference=data["reference"],
            n_texts=int(data["n_texts"]),
            total=int(data["total"]),
            grams={
                g: (int(n), float(p), float(i))
                for g, n, p, i in zip(
                    grams, data["gram_texts"], data["gram_ref"], data["gram_idf"], strict=True
                )
            },
            centroid={g: float(w) for g, w in zip(grams, data["centroid"], strict=True) if w},
            idf_unknown=float(data["idf_unknown"]),
            ref_floor=float(data["ref_floor"]),
            ref_documents=int(data["ref_documents"]),
            style_mean={k: float(v) for k, v in data["style_mean"].items()},
            style_spread={k: float(v) for k, v in data["style_spread"].items()},
            distinctive=list(data["distinctive"]),
            tone_mean=data.get("tone_mean"),
            tone_spread=data.get("tone_spread"),
        )


def _style(text: str, language: str | None) -> dict[str, float]:
    """The style features of one (cleaned) text; person and contractions only where known."""
    found = sentences(text)
    tokens = words(text)
    n_sentences = max(len(found), 1)
    n_words = max(len(tokens), 1)
    letters = [c for c in text if c.isalpha()]
    word_tokens = _WORD_RE.findall(text)
    features = {
        "sentence_length": len(tokens) / n_sentences,
        "word_length": (sum(len(w) for w in word_tokens) / len(word_tokens))
        if word_tokens
        else 0.0,
        "exclamation": min(text.count("!") / n_sentences, 3.0),
        "question": min(text.count("?") / n_sentences, 3.0),
        "emoji": 100.0 * count_emoji(text) / n_words,
        "capitals": (sum(1 for c in letters if c.isupper()) / len(letters)) if letters else 0.0,
    }
    person = _PERSON.get(language or "")
    if person is not None:
        lowered = [w.lower().replace("’", "'") for w in word_tokens]
        for key, vocabulary in person.items():
            features[key] = 100.0 * sum(1 for w in lowered if w in vocabulary) / n_words
        if language == "en":
            features["contractions"] = 100.0 * len(_CONTRACTION.findall(text)) / n_words
    grade = readability(text, language)["grade"] if len(tokens) >= 8 else None
    if grade is not None:
        features["grade"] = float(grade)
    return features


def _nb_and_cosine(voice: _Voice, grams: set[str], alpha: float) -> tuple[float, float]:
    """Mean log-likelihood ratio (brand vs reference) of the text's n-grams, and the cosine of
    the text's TF-IDF vector to the brand's centroid."""
    if not grams:
        return 0.0, 0.0
    denominator = voice.total + alpha
    unseen = math.log(alpha / denominator)
    llr = 0.0
    dot = 0.0
    norm = 0.0
    for gram in grams:
        known = voice.grams.get(gram)
        if known is None:
            llr += unseen
            norm += voice.idf_unknown * voice.idf_unknown
            continue
        texts, p_ref, idf = known
        llr += math.log((texts + alpha * p_ref) / denominator) - math.log(p_ref)
        norm += idf * idf
        weight = voice.centroid.get(gram)
        if weight:
            dot += idf * weight
    cosine = dot / math.sqrt(norm) if norm > 0 else 0.0
    return llr / len(grams), cosine


def vocabulary_value(nb: float, cosine: float) -> float:
    """The vocabulary score (0-100) of a mean log-likelihood ratio and a centroid cosine."""
    z = SLOPE * (nb + CENTROID_WEIGHT * cosine) + OFFSET
    return 100.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


# ------------------------------------------------------------------------------- estimator


class VoiceProfile:
    """A brand's voice (see the module documentation); ``fit`` on the brand's texts only."""

    def __init__(
        self,
        *,
        alpha: float = 10_000.0,
        tone: bool = True,
        min_texts: int = MIN_TEXTS,
        min_language_texts: int = MIN_LANGUAGE_TEXTS,
    ) -> None:
        self.alpha = alpha
        self.tone = tone
        self.min_texts = min_texts
        self.min_language_texts = min_language_texts

    voices_: dict[str, _Voice]  # "all" and one per language with enough texts
    languages_: dict[str, int]
    n_texts_: int

    # -- fitting --------------------------------------------------------------------------

    def fit(
        self, texts: Sequence[str], *, locales: Sequence[str | None] | None = None
    ) -> VoiceProfile:
        """Learn the voice of ``texts`` (one brand's), ``locales`` giving each text's locale
        when known (else its language is detected)."""
        cleaned = [clean_text(t) for t in texts]
        keep = [i for i, t in enumerate(cleaned) if _WORD_RE.search(t)]
        if len(keep) < self.min_texts:
            raise ValidationFailed(
                f"a voice needs at least {self.min_texts} texts with words; got {len(keep)}",
                code="voice.too_few_texts",
            )
        cleaned = [cleaned[i] for i in keep]
        given = [locales[i] for i in keep] if locales is not None else [None] * len(cleaned)
        languages = _languages(cleaned, given)
        reference = Reference.load()
        tones = self._tones(cleaned, languages) if self.tone else None
        counts = Counter(lang for lang in languages if lang)
        self.languages_ = dict(counts.most_common())
        self.n_texts_ = len(cleaned)
        main = counts.most_common(1)[0][0] if counts else None
        # the whole library's voice reads against the main language's reference
        self.voices_ = {
            "all": self._fit_one(cleaned, languages, tones, main, reference, None),
        }
        if len(counts) > 1:
            for language, n in counts.items():
                if n >= self.min_language_texts:
                    rows = [i for i, lang in enumerate(languages) if lang == language]
                    self.voices_[language] = self._fit_one(
                        [cleaned[i] for i in rows],
                        [language] * len(rows),
                        None if tones is None else tones[rows],
                        language,
                        reference,
                        language,
                    )
        return self

    def _tones(self, texts: list[str], languages: list[str | None]) -> np.ndarray:
        from brandloom.analysis.sentiment import SentimentModel

        proba = SentimentModel.load().predict_proba(texts, languages)
        return np.asarray(proba[:, 2] - proba[:, 0])

    def _fit_one(
        self,
        texts: list[str],
        languages: list[str | None],
        tones: np.ndarray | None,
        reference_language: str | None,
        reference: Reference,
        language: str | None,
    ) -> _Voice:
        key, ref_counts, ref_documents = reference.table(reference_language)
        ref_total = sum(ref_counts.values())
        vocabulary = len(ref_counts)
        smoothing = 0.5
        # an empty reference (the benchmark measures one) is a uniform prior over 10,000
        # n-grams: of 1e3, 1e4 and 1e5 the one that attributed best
        floor = smoothing / (ref_total + smoothing * vocabulary) if ref_total else 1e-4
        idf_unknown = math.log((ref_documents + 1) / 1.0) if ref_documents else 1.0
        per_text = [_grams(t) for t in texts]
        in_texts: Counter[str] = Counter()
        for text_grams in per_text:
            in_texts.update(text_grams)
        total = sum(in_texts.values())

        def p_ref(gram: str) -> float:
            df = ref_counts.get(gram)
            return (df + smoothing) / (ref_total + smoothing * vocabulary) if df else floor

        def idf(gram: str) -> float:
            if not ref_documents:
                return 1.0
            return math.log((ref_documents + 1) / (ref_counts.get(gram, 0) + 1))

        learned = {g: (n, p_ref(g), idf(g)) for g, n in in_texts.items()}
        centroid: dict[str, float] = {}
        for text_grams in per_text:
            weights = {g: learned[g][2] for g in text_grams}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for g, w in weights.items():
                centroid[g] = centroid.get(g, 0.0) + w / norm
        length = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        style_rows = [_style(t, lang) for t, lang in zip(texts, languages, strict=True)]
        mean, spread = _moments(style_rows)
        tone_mean = tone_spread = None
        if tones is not None and len(tones):
            tone_mean = float(np.mean(tones))
            tone_spread = max(float(np.std(tones)), 0.15)
        return _Voice(
            language=language,
            reference=key,
            n_texts=len(texts),
            total=total,
            grams=learned,
            centroid={g: w / length for g, w in centroid.items()},
            idf_unknown=idf_unknown,
            ref_floor=floor,
            ref_documents=ref_documents,
            style_mean=mean,
            style_spread=spread,
            distinctive=_distinctive(in_texts, total, p_ref, self.alpha, len(texts)),
            tone_mean=tone_mean,
            tone_spread=tone_spread,
        )

    # -- scoring --------------------------------------------------------------------------

    def vocabulary(self, texts: Sequence[str]) -> list[tuple[float, float]]:
        """``(mean log-likelihood ratio, centroid cosine)`` per text against the whole
        library's voice (the raw view the benchmark measures)."""
        voice = self.voices_["all"]
        return [_nb_and_cosine(voice, _grams(clean_text(t)), self.alpha) for t in texts]

    def score(
        self,
        texts: Sequence[str],
        *,
        guidelines: Guidelines | None = None,
        linter: BrandLinter | None = None,
        channel: str | None = None,
        locale: str | None = None,
        tone: bool = True,
    ) -> list[VoiceScore]:
        """One :class:`VoiceScore` per text, in order (see the module documentation).

        ``guidelines`` (or an already compiled ``linter``) adds the rule violations;
        ``channel`` picks the required disclaimers and ``locale`` the language's rules.
        ``tone``: False leaves the tone dimension out even when the profile has one (it runs
        the emotion encoder per text); the overall score is then vocabulary and style.
        """
        if linter is None and guidelines is not None:
            linter = BrandLinter(guidelines)
        cleaned = [clean_text(t) for t in texts]
        languages = _languages(cleaned, [locale] * len(cleaned))
        tones: np.ndarray | None = None
        if tone and self.tone and any(v.tone_mean is not None for v in self.voices_.values()):
            scorable = [i for i, t in enumerate(cleaned) if _WORD_RE.search(t)]
            tones = np.zeros(len(cleaned))
            if scorable:
                tones[scorable] = self._tones(
                    [cleaned[i] for i in scorable], [languages[i] for i in scorable]
                )
        results = []
        for i, (text, clean) in enumerate(zip(texts, cleaned, strict=True)):
            voice = self.voices_.get(languages[i] or "", self.voices_["all"])
            result = self._score_one(
                clean, languages[i], voice, None if tones is None else tones[i]
            )
            if linter is not None:
                result.violations = [
                    v.to_dict()
                    for v in linter.lint(
                        text, channel=channel, locale=locale, language=languages[i]
                    )
                ]
                result.suggestions.extend(
                    v["suggestion"] for v in result.violations if v["suggestion"]
                )
            results.append(result)
        return results

    def _score_one(
        self, text: str, language: str | None, voice: _Voice, tone: float | None
    ) -> VoiceScore:
        dimensions: dict[str, dict[str, Any]] = {}
        suggestions: list[str] = []
        if not _WORD_RE.search(text):
            return VoiceScore(
                score=0.0,
                dimensions={},
                suggestions=["the text has no words to compare with the brand's voice"],
                language=language,
            )
        grams = _grams(text)
        nb, cosine = _nb_and_cosine(voice, grams, self.alpha)
        vocab = vocabulary_value(nb, cosine)
        present = [w for w in voice.distinctive if _WORD_PREFIX + w in grams][:5]
        missing = [w for w in voice.distinctive if _WORD_PREFIX + w not in grams][:5]
        if vocab >= 50:
            explanation = "close to the brand's wording" + (
                f": {', '.join(f'“{w}”' for w in present)}" if present else ""
            )
            suggestion = None
        else:
            explanation = "little of the brand's characteristic wording"
            suggestion = (
                f"use the brand's own words where they fit: {', '.join(f'“{w}”' for w in missing)}"
                if missing
                else None
            )
        dimensions["vocabulary"] = _dimension(vocab, explanation, suggestion)
        style = _style(text, language)
        other: list[float] = []
        for name, _, template in _STYLE:
            if name not in style or name not in voice.style_mean:
                continue
            x, m = style[name], voice.style_mean[name]
            z = (x - m) / max(voice.style_spread[name], _MIN_SPREAD[name])
            value = 100.0 * math.exp(-(z * z) / 8.0)
            other.append(value)
            explanation = template.format(x=x, m=m)
            advice = _style_advice(name, x, m) if value < 60 else None
            dimensions[name] = _dimension(value, explanation, advice)
        if tone is not None and voice.tone_mean is not None and voice.tone_spread is not None:
            z = (tone - voice.tone_mean) / voice.tone_spread
            value = 100.0 * math.exp(-(z * z) / 8.0)
            other.append(value)
            lean = "warmer" if tone > voice.tone_mean else "cooler"
            dimensions["tone"] = _dimension(
                value,
                f"sentiment {tone:+.2f}; this brand's texts average {voice.tone_mean:+.2f}",
                f"a {'cooler' if lean == 'warmer' else 'warmer'} tone, closer to the brand's"
                if value < 60
                else None,
            )
        overall = (
            vocab
            if not other
            else (VOCABULARY_WEIGHT * vocab + (1 - VOCABULARY_WEIGHT) * float(np.mean(other)))
        )
        for info in sorted(dimensions.values(), key=lambda d: d["score"]):
            if info.get("suggestion"):
                suggestions.append(info["suggestion"])
        return VoiceScore(
            score=round(overall, 1),
            dimensions=dimensions,
            suggestions=suggestions,
            language=language,
        )

    # -- reading and writing ---------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """What the profile learned, for people: texts, languages, style averages, tone,
        distinctive words (JSON-able)."""
        voice = self.voices_["all"]
        return {
            "format": VOICE_FORMAT,
            "n_texts": self.n_texts_,
            "languages": self.languages_,
            "reference": f"{REFERENCE}:{voice.reference}",
            "style": {
                name: {"mean": round(voice.style_mean[name], 3), "what": what}
                for name, what, _ in _STYLE
                if name in voice.style_mean
            },
            "tone": None if voice.tone_mean is None else round(voice.tone_mean, 3),
            "distinctive": voice.distinctive,
            "voices": {key: v.n_texts for key, v in self.voices_.items()},
        }

    def to_bytes(self) -> bytes:
        data = {
            "format": VOICE_FORMAT,
            "params": {
                "alpha": self.alpha,
                "tone": self.tone,
                "min_texts": self.min_texts,
                "min_language_texts": self.min_language_texts,
            },
            "languages": self.languages_,
            "n_texts": self.n_texts_,
            "voices": {key: v.to_data() for key, v in self.voices_.items()},
        }
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return gzip.compress(raw, compresslevel=6, mtime=0)

    @classmethod
    def from_bytes(cls, payload: bytes) -> VoiceProfile:
        try:
            data = json.loads(gzip.decompress(payload).decode("utf-8"))
        except (OSError, EOFError, ValueError) as exc:
            raise ValidationFailed(
                f"not a stored voice profile ({exc})", code="voice.invalid_profile"
            ) from None
        if not isinstance(data, dict) or data.get("format") != VOICE_FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise ValidationFailed(
                f"voice profile format {found!r}; this version reads {VOICE_FORMAT}",
                code="voice.invalid_profile",
            )
        profile = cls(**data["params"])
        profile.languages_ = {k: int(v) for k, v in data["languages"].items()}
        profile.n_texts_ = int(data["n_texts"])
        profile.voices_ = {k: _Voice.from_data(v) for k, v in data["voices"].items()}
        return profile


def _dimension(score: float, explanation: str, suggestion: str | None) -> dict[str, Any]:
    return {"score": round(score, 1), "explanation": explanation, "suggestion": suggestion}


def _style_advice(name: str, x: float, m: float) -> str:
    more = x < m
    advice = {
        "sentence_length": "longer sentences"
        if more
        else f"shorter sentences (about {m:.0f} words)",
        "word_length": "fuller words" if more else "shorter, plainer words",
        "exclamation": "more exclamation marks" if more else "fewer exclamation marks",
        "question": "ask the reader a question" if more else "fewer questions",
        "emoji": "an emoji where the brand would use one" if more else "fewer emoji",
        "capitals": "more capitals" if more else "fewer capitals",
        "you": "speak to the reader (you/your)" if more else "less direct address",
        "we": "speak as the brand (we/our)" if more else "less we/our",
        "i": "speak as one person (I/my)" if more else "less I/my",
        "contractions": "contractions (we're, you'll)" if more else "fewer contractions",
        "grade": "richer sentences" if more else f"simpler words and sentences (grade {m:.0f})",
    }
    return advice[name]


def _moments(rows: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    mean: dict[str, float] = {}
    spread: dict[str, float] = {}
    for name in _STYLE_NAMES:
        values = [row[name] for row in rows if name in row]
        if len(values) >= 2:
            mean[name] = float(np.mean(values))
            spread[name] = float(np.std(values))
    return mean, spread


def _distinctive(
    in_texts: Counter[str],
    total: int,
    p_ref: Any,
    alpha: float,
    n_texts: int,
    top: int = 20,
) -> list[str]:
    """The brand's words with the highest smoothed log-odds against the reference (words in
    at least two texts, or in the only ones there are)."""
    least = 2 if n_texts >= 4 else 1
    scored = []
    for gram, n in in_texts.items():
        if not gram.startswith(_WORD_PREFIX) or n < least:
            continue
        p = p_ref(gram)
        log_odds = math.log((n + alpha * p) / (total + alpha)) - math.log(p)
        scored.append((log_odds * math.sqrt(n), gram[len(_WORD_PREFIX) :]))
    scored.sort(reverse=True)
    return [word for _, word in scored[:top]]


def _languages(texts: list[str], given: Sequence[str | None]) -> list[str | None]:
    """Each text's language: its locale's when given, else detected."""
    from brandloom.analysis.language import detect

    out: list[str | None] = []
    for text, locale in zip(texts, given, strict=True):
        if locale:
            out.append(locale.replace("_", "-").split("-", 1)[0].lower())
        else:
            out.append(detect(text).language)
    return out
