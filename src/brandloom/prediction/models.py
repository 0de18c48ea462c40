"""Experiments: A/B/n tests on a content part, their arms and the results recorded for them.

An experiment has arms (a name and, when known, the text each arm shows: what the predictor
scores and what a workspace's own model learns from). Results are counts recorded against an
arm (impressions, clicks, conversions) and add up: each recording is what was observed since the
last one, from the API, a CSV file, or a bulk job whose variants are the arms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText, UTCDateTime, utcnow


class Experiment(Base):
    __tablename__ = "experiment"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_experiment_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    part: Mapped[str] = mapped_column(String(40))  # subject, preheader, headline, body, cta, ...
    # [{"name": "a", "text": "..." | None}, ...] in order (the first is the control)
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    # the bulk job whose variants are the arms, when it was made from one
    job_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # analysis settings: prior [a, b], prob_best_threshold, loss_threshold, ...
    settings: Mapped[dict[str, Any]] = mapped_column(JSONText(), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExperimentResult(Base):
    """Counts observed for one arm, added to what was recorded before."""

    __tablename__ = "experiment_result"
    __table_args__ = (
        Index("ix_experiment_result_workspace_experiment", "workspace_id", "experiment_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiment.id", ondelete="CASCADE"))
    arm: Mapped[str] = mapped_column(String(200))
    impressions: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(Integer)
    conversions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(40))  # api | csv | job
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
