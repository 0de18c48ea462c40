"""Request and response shapes of ``POST /v1/analyze`` (the CLI prints the same objects)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from brandloom.insights.service import MAX_TEXT_CHARS, MAX_TEXTS


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[str] = Field(
        description=f"The texts to analyse, at most {MAX_TEXTS} of at most "
        f"{MAX_TEXT_CHARS:,} characters each; one result per text, in order."
    )
    locale: str | None = Field(
        default=None,
        description="The audience's locale (BCP 47, e.g. de-DE): a prior for language "
        "detection, and turns on the culture checks.",
        examples=["de-DE"],
    )
    targets: list[str] = Field(
        default_factory=list,
        description="Emotions (GoEmotions labels) and motivators to score resonance against.",
        examples=[["excitement", "urgency"]],
    )
    languages: list[str] | None = Field(
        default=None,
        description="Candidate languages (ISO 639-1); default: the 28 of `brandloom analyze`.",
    )
    formality: str | None = Field(
        default=None,
        pattern="^(formal|informal)$",
        description="The register the copy must use (a brand's choice); default: the locale's.",
    )


class Sentiment(BaseModel):
    label: str = Field(description="negative | neutral | positive")
    score: float = Field(description="P(positive) - P(negative), -1..1")


class Motivator(BaseModel):
    score: float = Field(description="0..1")
    evidence: list[str] = Field(description="The phrases in the text that triggered it.")


class Readability(BaseModel):
    model_config = ConfigDict(extra="allow")

    formula: str | None = Field(description="The formula used for the text's language.")
    score: float | None
    grade: float | None = Field(description="US school grade equivalent.")
    words_per_sentence: float


class CultureFinding(BaseModel):
    code: str
    severity: str
    span: list[int] = Field(description="[start, end) code-point offsets into the text.")
    message: str
    suggestion: str | None = None


class Resonance(BaseModel):
    score: float = Field(description="0..1 over all targets.")
    targets: dict[str, float]


class AnalyzeItem(BaseModel):
    language: str | None = Field(description="ISO 639-1; null when the text has no letters.")
    language_confidence: float
    sentiment: Sentiment
    emotions: dict[str, float] = Field(description="The 28 GoEmotions labels -> probability.")
    emotion_labels: list[str] = Field(description="The labels the model asserts.")
    motivators: dict[str, Motivator]
    readability: Readability
    spam_score: float = Field(description="The learned spam model's probability, 0..1.")
    spam_rules_score: float = Field(description="The QA spam rules' points (qa.spam_threshold).")
    resonance: Resonance | None = Field(default=None, description="With `targets`.")
    culture: list[CultureFinding] | None = Field(default=None, description="With `locale`.")


class AnalyzeResponse(BaseModel):
    items: list[AnalyzeItem]
