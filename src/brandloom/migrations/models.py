"""Imports every ORM model so ``Base.metadata`` is complete (Alembic, table creation).

It lives here, above every domain, because it imports them all: ``db`` stays below them.
"""

from brandloom.audiences.models import Audience, AudienceReject, Contact
from brandloom.brands.models import Brand, BrandGuidelines, BrandText, BrandVoice
from brandloom.db.base import Base
from brandloom.documents.models import DocumentRecord
from brandloom.generation.models import LLMProvider, LLMSettings, LLMUsage
from brandloom.jobs.models import Job, JobChunk
from brandloom.prediction.models import Experiment, ExperimentResult
from brandloom.templates.models import Template
from brandloom.workers.models import WorkerHeartbeat
from brandloom.workspaces.models import ApiKey, Workspace

__all__ = [
    "ApiKey",
    "Audience",
    "AudienceReject",
    "Base",
    "Brand",
    "BrandGuidelines",
    "BrandText",
    "BrandVoice",
    "Contact",
    "DocumentRecord",
    "Experiment",
    "ExperimentResult",
    "Job",
    "JobChunk",
    "LLMProvider",
    "LLMSettings",
    "LLMUsage",
    "Template",
    "WorkerHeartbeat",
    "Workspace",
]
