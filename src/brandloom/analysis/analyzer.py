"""One call that returns everything brandloom knows about each of a batch of texts.

``analyze(texts)`` runs every analyser and returns one plain dict per text (the shape of
``brandloom analyze`` and ``POST /v1/analyze``). Models are loaded on first use and batched:
the emotion encoder, the sentiment and the spam models each see the whole batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from brandloom.analysis import culture as culture_mod
from brandloom.analysis import motivators as motivators_mod
from brandloom.analysis import readability as readability_mod
from brandloom.analysis import resonance as resonance_mod
from brandloom.analysis.language import DEFAULT_LANGUAGES, check_languages, detector
from brandloom.analysis.spam_rules import spam_rules
from brandloom.errors import ValidationFailed

_DIGITS = 4


@dataclass(frozen=True)
class AnalyzeOptions:
    """``locale``: the audience's locale (a prior for language detection; turns on ``culture``);
    ``languages``: the candidate languages; ``targets``: emotions/motivators to score resonance
    against; ``formality``: a brand's register ("formal" | "informal"), else the locale's."""

    locale: str | None = None
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    targets: tuple[str, ...] = field(default=())
    formality: str | None = None

    def checked(self) -> AnalyzeOptions:
        """The options with codes normalized; raises a 422-class error naming what is wrong."""
        languages = check_languages(self.languages)
        if self.locale is not None:
            culture_mod.locale_profile(self.locale)  # unknown locale -> culture.unknown_locale
        # Unknown targets are refused by name (with a did-you-mean); names come back canonical.
        targets = tuple(
            resonance_mod.resonance(self.targets, emotions={}, motivators={})["targets"]
        )
        if self.formality not in (None, "formal", "informal"):
            raise ValidationFailed(
                f"formality must be 'formal' or 'informal', not {self.formality!r}",
                code="analysis.invalid_formality",
            )
        return AnalyzeOptions(self.locale, languages, targets, self.formality)


def analyze(texts: Sequence[str], options: AnalyzeOptions | None = None) -> list[dict[str, Any]]:
    """One result dict per text, in order (an empty text gets the same shape, neutral values)."""
    from brandloom.analysis.emotion import EmotionModel
    from brandloom.analysis.sentiment import SentimentModel
    from brandloom.analysis.spam import SpamModel

    options = (options or AnalyzeOptions()).checked()
    texts = list(texts)
    if not texts:
        return []
    detections = detector(options.languages).detect_many(
        texts, priors=[options.locale] * len(texts)
    )
    languages = [d.language for d in detections]
    emotion_model = EmotionModel.load()
    sentiment_model = SentimentModel.load()
    # One encoder run per text serves the emotions and both sentiment voices.
    encoder_logits, head_logits = sentiment_model.encode(texts)
    emotion_probs = emotion_model.predict_proba(texts, encoder_logits=encoder_logits)
    asserted = emotion_model.decide(emotion_probs)
    sentiments = sentiment_model.analyze(
        texts, languages, emotion_logits=encoder_logits, head_logits=head_logits
    )
    spam_scores = SpamModel.load().predict_proba(texts)
    rules = spam_rules()

    results: list[dict[str, Any]] = []
    for i, text in enumerate(texts):
        language = languages[i]
        emotions = {
            label: round(float(p), _DIGITS)
            for label, p in zip(emotion_model.labels_, emotion_probs[i], strict=True)
        }
        motivators = motivators_mod.motivators(text, language)
        sentiment = sentiments[i]
        item: dict[str, Any] = {
            "language": language,
            "language_confidence": detections[i].confidence,
            "sentiment": {
                "label": sentiment["label"],
                "score": round(float(sentiment["score"]), _DIGITS),
            },
            "emotions": emotions,
            "emotion_labels": asserted[i],
            "motivators": motivators,
            "readability": readability_mod.readability(text, language),
            # A blank text is no message at all: the model's prior would read as a score.
            "spam_score": round(float(spam_scores[i]), _DIGITS) if text.strip() else 0.0,
            "spam_rules_score": rules.score_text(text),
        }
        if options.targets:
            item["resonance"] = resonance_mod.resonance(
                options.targets, emotions=emotions, motivators=motivators
            )
        if options.locale is not None:
            item["culture"] = culture_mod.culture_check(
                text, options.locale, language=language, formality=options.formality
            )
        results.append(item)
    return results
