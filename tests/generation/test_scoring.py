"""Candidate checks and scores: what disqualifies copy, and how candidates are scored."""

from __future__ import annotations

from brandloom.analysis.brand_rules import BrandLinter
from brandloom.analysis.guidelines import parse_guidelines
from brandloom.generation.channels import CHANNELS
from brandloom.generation.prompts import COPY_SYSTEM
from brandloom.generation.scoring import (
    BrandJudge,
    best_reason,
    missing_terms,
    safety_findings,
    score_candidates,
)

EMAIL = CHANNELS["email"]
GOOD = {
    "subject": "Lighter trail shoes for your first half",
    "preheader": "Acme Trail Runner 2: 20% off until Sunday, free returns",
    "body": "Training for your first half marathon? The Acme Trail Runner 2 is lighter by 80 g "
    "and grips wet rock. Get 20% off until Sunday, with free returns. Shop the Trail Runner.",
}


def codes(found: list[dict[str, str]]) -> list[str]:
    return [f["code"] for f in found]


def test_clean_copy_has_no_safety_findings() -> None:
    assert (
        safety_findings(
            GOOD, must_include=["free returns"], avoid=["cheap"], system_prompt=COPY_SYSTEM
        )
        == []
    )


def test_placeholders_avoided_terms_and_leaks_are_caught() -> None:
    bad = {**GOOD, "body": "Hi [First Name], this cheap shoe is {{ product }}."}
    found = codes(safety_findings(bad, must_include=[], avoid=["cheap"], system_prompt=None))
    assert found == ["copy.must_avoid", "copy.placeholder"]
    leak = {**GOOD, "body": "Sure! " + COPY_SYSTEM.split(". ")[1] + "."}
    assert "copy.prompt_leak" in codes(
        safety_findings(leak, must_include=[], avoid=[], system_prompt=COPY_SYSTEM)
    )
    # a whole word: "cheapest" is not "cheap"; the check is case-insensitive
    assert (
        safety_findings(
            {"body": "The CHEAPEST"}, must_include=[], avoid=["cheap"], system_prompt=None
        )
        == []
    )
    assert codes(
        safety_findings({"body": "So CHEAP!"}, must_include=[], avoid=["cheap"], system_prompt=None)
    ) == ["copy.must_avoid"]


def test_must_include_is_verbatim_in_any_part() -> None:
    assert missing_terms(GOOD, ["free returns", "Free Returns"]) == []
    assert missing_terms({"headlines": ["free returns"]}, ["free returns"]) == []
    assert codes(missing_terms(GOOD, ["kostenlose Rücksendung"])) == ["copy.must_include_missing"]


def test_scores_over_a_batch() -> None:
    guidelines = parse_guidelines(
        {"brand_name": "Acme", "banned_terms": ["guaranteed"]}, source="g"
    )
    judge = BrandJudge(name="Acme", linter=BrandLinter(guidelines))
    over = {**GOOD, "subject": "x" * 61}
    banned = {**GOOD, "body": GOOD["body"] + " Results guaranteed."}
    german = {
        **GOOD,
        "body": "Trainieren Sie für Ihren ersten Halbmarathon? Der Schuh ist leichter.",
    }
    results = score_candidates(
        [
            (EMAIL, "en-US", GOOD),
            (EMAIL, "en-US", over),
            (EMAIL, "en-US", banned),
            (EMAIL, "en-US", german),
        ],
        targets=["excitement", "urgency"],
        must_include={"en": ["free returns"]},
        avoid={"en": ["cheap"]},
        formality={},
        brand=judge,
        system_prompt=COPY_SYSTEM,
    )
    good, long, ban, wrong = results
    assert good["problems"] == []
    assert good["brand_consistency"] == 100.0  # no voice: the guidelines decide
    assert set(good["emotional_resonance"]["targets"]) == {"excitement", "urgency"}
    assert 0 <= good["emotional_resonance"]["overall"] <= 1
    assert good["cultural_adaptation"]["locale"] == "en-US"
    assert good["scores"]["language"] == "en"
    assert codes(long["problems"]) == ["channel.too_long"]
    assert "brand.banned_term" in codes(ban["problems"])
    assert ban["brand_consistency"] < 100
    assert "copy.wrong_language" in codes(wrong["problems"])
    assert best_reason(good, [long]) == "the only candidate without problems"


def test_emotions_are_not_measured_outside_english() -> None:
    (result,) = score_candidates(
        [
            (
                EMAIL,
                "de-DE",
                {
                    "subject": "Jetzt",
                    "preheader": "los",
                    "body": "Nur heute: jetzt zugreifen, bevor es zu spät ist!",
                },
            )
        ],
        targets=["excitement", "urgency"],
        must_include={},
        avoid={},
        formality={},
        brand=None,
        system_prompt=None,
    )
    assert result["emotional_resonance"]["targets"]["excitement"] is None
    assert result["emotional_resonance"]["targets"]["urgency"] > 0
    assert result["brand_consistency"] is None
