"""API schemas for predictions and experiments."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PredictRequest(BaseModel):
    """``POST /v1/predict``: texts to score, or groups of competing texts to rank."""

    model_config = ConfigDict(extra="forbid")

    texts: list[str] = Field(default_factory=list, max_length=10_000)
    groups: dict[str, list[str]] | None = Field(
        default=None, description="group -> competing texts (ranked, with win probabilities)"
    )


class ArmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    text: str | None = Field(default=None, max_length=5_000)


class ExperimentCreate(BaseModel):
    """``POST /v1/experiments``: arms given, or a bulk job whose variants become the arms."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    part: str = "subject"
    arms: list[ArmIn] | None = None
    job_id: str | None = None
    prior: list[float] | None = Field(default=None, min_length=2, max_length=2)
    prob_best_threshold: float | None = None
    loss_threshold: float | None = None


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant: str = Field(min_length=1, max_length=200)
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    conversions: int | None = Field(default=None, ge=0)


class ResultsIn(BaseModel):
    """``POST /v1/experiments/{id}/results``: counts observed since the last recording."""

    model_config = ConfigDict(extra="forbid")

    results: list[ResultIn] = Field(min_length=1, max_length=1_000)


AllocationMethod = Literal["thompson", "ucb"]
