"""The brand checks on single documents: the per-document cache and its excerpts."""

from __future__ import annotations

from brandloom.analysis.guidelines import parse_guidelines
from brandloom.documents.qa import QAChecker, QAConfig, QAInput
from brandloom.documents.qa.base import QABrand, QAJob
from brandloom.documents.qa.brand import BrandRules


def _checker() -> QAChecker:
    guidelines = parse_guidelines({"banned_terms": ["100% free"]}, source="test")
    job = QAJob(
        outputs=("txt",),
        brands={"Acme": QABrand("Acme", guidelines=guidelines, guidelines_version=1)},
        brand="Acme",
    )
    return QAChecker(QAConfig.model_validate({"brand_rules": True}), job)


def _doc(name: str, share: str) -> QAInput:
    return QAInput(
        parts={"subject": f"{name}, it is {share}% free", "text": f"Hello {name}. Terms apply."},
        contact_locale="en-US",
        personal={"first_name": name},
    )


def test_documents_sharing_a_copy_are_linted_once_with_their_own_excerpts() -> None:
    checker = _checker()
    rules = next(c for c in checker._checks if isinstance(c, BrandRules))
    first = checker.check(_doc("Anna", "100"))
    second = checker.check(_doc("Maximilian", "200"))
    assert len(rules._docs._memo) == 1  # digits read as 0: one copy, linted once
    (one,) = [i for i in first.issues if i.code == "brand.banned_term"]
    (two,) = [i for i in second.issues if i.code == "brand.banned_term"]
    assert "'100% free'" in one.message
    assert "'200% free'" in two.message  # not the first document's excerpt
