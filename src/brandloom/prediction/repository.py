"""SQL for experiments and their results; every query is scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brandloom.db.paging import newest_first, page_of
from brandloom.prediction.models import Experiment, ExperimentResult
from brandloom.workspaces.models import Workspace


class ExperimentRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def get(self, experiment_id: str) -> Experiment | None:
        return self.session.scalar(
            select(Experiment).where(
                Experiment.id == experiment_id, Experiment.workspace_id == self.workspace_id
            )
        )

    def by_name(self, name: str) -> Experiment | None:
        return self.session.scalar(
            select(Experiment).where(
                Experiment.name == name, Experiment.workspace_id == self.workspace_id
            )
        )

    def add(self, row: Experiment | ExperimentResult) -> None:
        row.workspace_id = self.workspace_id
        self.session.add(row)

    def page(self, *, cursor: str | None, limit: int) -> tuple[list[Experiment], str | None]:
        stmt = select(Experiment).where(Experiment.workspace_id == self.workspace_id)
        rows = self.session.scalars(newest_first(stmt, Experiment, cursor=cursor, limit=limit))
        return page_of(rows.all(), limit)

    def all(self) -> list[Experiment]:
        return list(
            self.session.scalars(
                select(Experiment)
                .where(Experiment.workspace_id == self.workspace_id)
                .order_by(Experiment.created_at, Experiment.id)
            )
        )

    def totals(
        self, experiment_ids: list[str]
    ) -> dict[str, dict[str, tuple[int, int, int | None]]]:
        """experiment id -> arm -> (impressions, clicks, conversions or None) summed."""
        if not experiment_ids:
            return {}
        rows = self.session.execute(
            select(
                ExperimentResult.experiment_id,
                ExperimentResult.arm,
                func.sum(ExperimentResult.impressions),
                func.sum(ExperimentResult.clicks),
                func.sum(ExperimentResult.conversions),
                func.count(ExperimentResult.conversions),
            )
            .where(
                ExperimentResult.workspace_id == self.workspace_id,
                ExperimentResult.experiment_id.in_(experiment_ids),
            )
            .group_by(ExperimentResult.experiment_id, ExperimentResult.arm)
        )
        out: dict[str, dict[str, tuple[int, int, int | None]]] = {}
        for experiment_id, arm, impressions, clicks, conversions, with_conversions in rows:
            out.setdefault(experiment_id, {})[arm] = (
                int(impressions or 0),
                int(clicks or 0),
                int(conversions or 0) if with_conversions else None,
            )
        return out
