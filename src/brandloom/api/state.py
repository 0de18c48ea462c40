"""Process-wide API state: settings, session factory and the background job executor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from brandloom.api.executor import JobExecutor
from brandloom.settings import Settings


@dataclass(slots=True)
class AppState:
    settings: Settings
    database_url: str
    factory: sessionmaker[Session]
    executor: JobExecutor
