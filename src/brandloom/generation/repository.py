"""SQL for a workspace's LLM providers, settings and usage; every query is scoped to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brandloom.generation.models import LLMProvider, LLMSettings, LLMUsage
from brandloom.workspaces.models import Workspace


class LLMRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def provider(self, name: str) -> LLMProvider | None:
        return self.session.scalar(
            select(LLMProvider).where(
                LLMProvider.workspace_id == self.workspace_id, LLMProvider.name == name
            )
        )

    def providers(self) -> list[LLMProvider]:
        """In fallback order."""
        return list(
            self.session.scalars(
                select(LLMProvider)
                .where(LLMProvider.workspace_id == self.workspace_id)
                .order_by(LLMProvider.position, LLMProvider.name)
            )
        )

    def count_providers(self) -> int:
        return int(
            self.session.scalar(
                select(func.count()).where(LLMProvider.workspace_id == self.workspace_id)
            )
            or 0
        )

    def add(self, row: LLMProvider | LLMUsage | LLMSettings) -> None:
        row.workspace_id = self.workspace_id
        self.session.add(row)

    def settings(self) -> LLMSettings | None:
        return self.session.get(LLMSettings, self.workspace_id)

    def usage_totals(
        self, *, since: datetime | None = None, job_id: str | None = None
    ) -> tuple[int, int, int, float]:
        """(calls, input tokens, output tokens, cost in USD) of the calls since ``since`` or
        of one job."""
        stmt = select(
            func.coalesce(func.sum(LLMUsage.calls), 0),
            func.coalesce(func.sum(LLMUsage.input_tokens), 0),
            func.coalesce(func.sum(LLMUsage.output_tokens), 0),
            func.coalesce(func.sum(LLMUsage.cost_usd), 0.0),
        ).where(LLMUsage.workspace_id == self.workspace_id)
        if job_id is not None:
            stmt = stmt.where(LLMUsage.job_id == job_id)
        if since is not None:
            stmt = stmt.where(LLMUsage.created_at >= since)
        calls, tokens_in, tokens_out, cost = self.session.execute(stmt).one()
        return int(calls), int(tokens_in), int(tokens_out), float(cost or 0.0)
