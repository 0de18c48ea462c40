"""Runs the registered checks of one job over each document."""

from __future__ import annotations

from brandloom.documents.qa._html import HtmlReader
from brandloom.documents.qa.base import QACheck, QADocument, QAInput, QAIssue, QAJob, QAResult
from brandloom.documents.qa.config import QAConfig
from brandloom.documents.qa.registry import registered_checks

__all__ = ["QAChecker"]


class QAChecker:
    """Runs the QA checks of one job; build once, call :meth:`check` per document.

    The checks are the ones registered when the checker is built, compiled from the job's
    config (and what they may know of the job: ``job``) once; a check with nothing to do in
    this job (say, every code off) is left out, so it costs nothing per document.

    ``parts``: the template parts the checks read beyond those the outputs are made of (the
    pipeline renders them too).
    """

    def __init__(self, config: QAConfig, job: QAJob | None = None) -> None:
        self.config = config
        job = job or QAJob()
        overrides = config.overrides()
        checks: list[QACheck] = []
        parts: set[str] = set()
        for definition in registered_checks():
            settings = config.settings_for(definition)
            if definition.build_for_job is not None:
                built = definition.build_for_job(settings, overrides, job)
            else:
                built = definition.build(settings, overrides)
            if built is not None:
                checks.append(built)
                parts.update(getattr(built, "parts", ()))
        self._checks = tuple(checks)
        self.parts = frozenset(parts)
        # The HTML structures seen in this job, each parsed once (see qa._html).
        self._html = HtmlReader()

    def check(self, doc: QAInput) -> QAResult:
        """Check one document; never raises on odd content.

        Issues come in the order of the checks' registration (then each check's own order).
        The status is ``fail`` when an issue fails, else ``warn`` when there is any issue.
        """
        document = QADocument(doc, self._html)
        issues: list[QAIssue] = []
        for check in self._checks:
            found = check.check(document)
            if found:
                issues.extend(found)
        if not issues:
            status = "pass"
        elif any(issue.severity == "fail" for issue in issues):
            status = "fail"
        else:
            status = "warn"
        return QAResult(status, tuple(issues), document.spam_score)
