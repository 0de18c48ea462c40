"""Pre-send quality checks of one rendered document (email and/or SMS parts).

Each check is a module of this package that declares its issue codes (with default levels),
its settings (a pydantic sub-model of the spec's ``qa:`` section) and a check built once per
job whose ``check(doc)`` returns the issues of one document; it registers a
:class:`QACheckDefinition` with :func:`register_check`. :class:`QAChecker` compiles a job's
:class:`QAConfig` into the registered checks once; :meth:`QAChecker.check` then runs per
document and returns a :class:`QAResult` with stable issue codes (:data:`ISSUE_CODES`).

The shared text pieces (normalization, tokenizer, phrase matcher, HTML-to-text) live in
:mod:`brandloom.kit.text`.
"""

from __future__ import annotations

from brandloom.analysis.spam_rules import load_spam_phrases
from brandloom.documents.qa import (
    brand,
    consent,
    contacts,
    envelope,
    filters,
    images,
    links,
    phrases,
    sms,
    spam,
    text,
    unsubscribe,
    variables,
)
from brandloom.documents.qa.base import (
    NO_ISSUES,
    IssueLevel,
    QABrand,
    QACheck,
    QACheckDefinition,
    QADocument,
    QAInput,
    QAIssue,
    QAJob,
    QAResult,
    Severity,
    any_on,
    example_list,
    levels,
    shorten,
)
from brandloom.documents.qa.checker import QAChecker
from brandloom.documents.qa.config import QAConfig
from brandloom.documents.qa.registry import (
    ISSUE_CODES,
    config_model,
    register_check,
    registered_checks,
    settings_reference,
)

__all__ = [
    "ISSUE_CODES",
    "NO_ISSUES",
    "IssueLevel",
    "QABrand",
    "QACheck",
    "QACheckDefinition",
    "QAChecker",
    "QAConfig",
    "QADocument",
    "QAInput",
    "QAIssue",
    "QAJob",
    "QAResult",
    "Severity",
    "any_on",
    "config_model",
    "example_list",
    "levels",
    "load_spam_phrases",
    "register_check",
    "registered_checks",
    "settings_reference",
    "shorten",
]

# The built-in checks, in the order they run (and report their issues). Links come before the
# spam score, which counts the links' URL shorteners.
_BUILTIN = (
    variables,
    filters,
    consent,
    contacts,
    envelope,
    sms,
    phrases,
    links,
    images,
    unsubscribe,
    spam,
    text,
)
for _module in _BUILTIN:
    register_check(_module.CHECK)
del _module
# the brand's checks: its guidelines as rules, then its voice (both need the job's brand)
register_check(brand.RULES_CHECK)
register_check(brand.VOICE_CHECK)
