"""Runs the registered checks of one job over each document."""

from __future__ import annotations

from brandloom.documents.qa.base import QACheck, QADocument, QAInput, QAIssue, QAResult
from brandloom.documents.qa.config import QAConfig
from brandloom.documents.qa.registry import registered_checks

__all__ = ["QAChecker"]


class QAChecker:
    """Runs the QA checks of one job; build once, call :meth:`check` per document.

    The checks are the ones registered when the checker is built, compiled from the job's
    config once; a check with nothing to do in this job (say, every code off) is left out,
    so it costs nothing per document.
    """

    def __init__(self, config: QAConfig) -> None:
        self.config = config
        overrides = config.overrides()
        checks: list[QACheck] = []
        for definition in registered_checks():
            built = definition.build(config.settings_for(definition), overrides)
            if built is not None:
                checks.append(built)
        self._checks = tuple(checks)

    def check(self, doc: QAInput) -> QAResult:
        """Check one document; never raises on odd content.

        Issues come in the order of the checks' registration (then each check's own order).
        The status is ``fail`` when an issue fails, else ``warn`` when there is any issue.
        """
        document = QADocument(doc)
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
