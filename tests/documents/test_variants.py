"""Variant assignment: the default seeded hash, and a custom Assigner deciding the variants."""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import UTC, datetime

from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAConfig
from brandloom.documents.variants import Assigner, SeededHashAssigner
from brandloom.kit.hashing import unit_interval
from brandloom.templates.service import compile_variants

WEIGHTS = [("a", 1.0), ("b", 3.0)]
TEMPLATES = compile_variants(
    engine="jinja",
    parts={"subject": "A for {{ key }}", "text": "Hello"},
    variants={"a": {}, "b": {"subject": "B for {{ key }}"}},
)
CONTACTS = [
    ContactData(i, f"c{i}", None, None, "granted", {"tier": "gold" if i % 3 == 0 else "basic"})
    for i in range(400)
]


def _renderer(assigner: Assigner | None = None) -> JobRenderer:
    return JobRenderer(
        templates=TEMPLATES,
        weights=WEIGHTS,
        qa=QAConfig(),
        settings=RenderSettings(
            job_key="k",
            seed="7",
            default_locale="en-US",
            outputs=("txt",),
            email=None,
            email_domain="example.com",
            eml_date=datetime(2026, 1, 1, tzinfo=UTC),
            keep_parts=True,
        ),
        assigner=assigner,
    )


def _reference_variant(seed: str, key: str) -> str:
    """The assignment as first written: cumulative weights against a hash of seed and key."""
    cumulative = [0.25, 1.0]
    i = bisect.bisect_right(cumulative, unit_interval(seed, "variant", key))
    return ["a", "b"][min(i, 1)]


def test_default_is_the_seeded_hash_of_the_key() -> None:
    result = _renderer().render_chunk(CONTACTS)
    chosen = {o.key: o.variant for o in result.outcomes}
    assert chosen == {c.key: _reference_variant("7", c.key) for c in CONTACTS}
    assert 60 < Counter(chosen.values())["a"] < 140  # about a quarter of 400
    for doc in result.documents:
        assert doc.parts["subject"] == f"{doc.variant.upper()} for {doc.key}"
    assert SeededHashAssigner(seed="7", weights=[]).assign(CONTACTS[0]) is None


class ByTier:
    """Gold contacts see variant b, everyone else a."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def assign(self, contact: ContactData) -> str | None:
        self.asked.append(contact.key)
        return "b" if contact.attributes["tier"] == "gold" else "a"


def test_custom_assigner_decides_the_variants() -> None:
    assigner = ByTier()
    result = _renderer(assigner).render_chunk(CONTACTS)
    assert assigner.asked == [c.key for c in CONTACTS]  # once per contact, in order
    for contact, outcome, doc in zip(CONTACTS, result.outcomes, result.documents, strict=True):
        expected = "b" if contact.attributes["tier"] == "gold" else "a"
        assert outcome.variant == doc.variant == expected
        assert doc.parts["subject"] == f"{expected.upper()} for {contact.key}"
