"""The guidelines file and the brand linter: parsing, term matching rules, every rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.brand_rules import BrandLinter, count_emoji
from brandloom.analysis.guidelines import load_guidelines_file, parse_guidelines
from brandloom.errors import ValidationFailed

CONTRACT = {
    "brand_name": "Lumen & Loom",
    "tone": ["warm", "calm", "confident"],
    "do": ["speak to one reader", "name the product"],
    "dont": ["hype", "ALL CAPS"],
    "banned_terms": ["guaranteed", "act now"],
    "glossary": {"cheap": "affordable", "e-mail": "email"},
    "required_disclaimers": {"email": ["Terms apply."]},
    "reading_level": {"max_grade": 8},
    "emoji": "none",
    "exclamation": "max_1",
    "formality": {"de": "formal", "fr": "formal", "es": "informal"},
}


def lint(guidelines: dict, text: str, **kw: object) -> list[tuple[str, str]]:
    linter = BrandLinter(parse_guidelines(guidelines, source="test"))
    return [
        (v.code, text[v.span[0] : v.span[1]] if v.span else "")
        for v in linter.lint(text, **kw)  # type: ignore[arg-type]
    ]


def test_the_contract_keys_parse_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "guidelines.yaml"
    path.write_text(
        """brand_name: "Lumen & Loom"
tone: [warm, calm, confident]
do: ["speak to one reader", "name the product"]
dont: ["hype", "ALL CAPS"]
banned_terms: [guaranteed, "act now"]
glossary: {cheap: affordable, e-mail: email}
required_disclaimers: {email: ["Terms apply."]}
reading_level: {max_grade: 8}
emoji: none
exclamation: max_1
formality: {de: formal, fr: formal, es: informal}
""",
        encoding="utf-8",
    )
    loaded = load_guidelines_file(path)
    assert loaded == parse_guidelines(CONTRACT, source="dict")
    assert loaded.do_ == ["speak to one reader", "name the product"]
    assert loaded.terms_for("en") == ["guaranteed", "act now"]
    assert parse_guidelines(loaded.to_data(), source="stored") == loaded
    assert loaded.to_data()["do"] == ["speak to one reader", "name the product"]


def test_errors_name_the_file_and_each_field(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_guidelines(
            {"emoji": "lots", "glosary": {}, "formality": {"de": "posh"}}, source="g.yaml"
        )
    message = str(caught.value)
    assert message.startswith("g.yaml: ")
    assert "emoji" in message and "max_N" in message
    assert "did you mean `glossary`" in message
    assert "formality.de" in message
    bad = tmp_path / "bad.yaml"
    bad.write_text("tone: [warm\nglossary: {", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"bad.yaml: not valid YAML at line \d"):
        load_guidelines_file(bad)
    with pytest.raises(ValidationFailed, match="a mapping"):
        parse_guidelines(["cheap"], source="list.yaml")
    with pytest.raises(ValidationFailed, match="ISO 639-1"):
        parse_guidelines({"banned_terms": {"english": ["x"]}}, source="x")


def test_banned_terms_and_glossary_match_whole_words_in_any_case() -> None:
    found = lint(
        CONTRACT, "GUARANTEED results. Act   now for cheap. Cheapest? E‑mail us. guaranteedly"
    )
    assert found[:4] == [
        ("brand.banned_term", "GUARANTEED"),
        ("brand.banned_term", "Act   now"),
        ("brand.glossary", "cheap"),
        ("brand.glossary", "E‑mail"),
    ]
    # "Cheapest" and "guaranteedly" are other words: not matched unless listed
    assert ("brand.glossary", "Cheapest") not in found
    assert all(text != "guaranteedly" for _, text in found)


def test_the_suggestion_is_the_glossary_replacement_in_the_matched_case() -> None:
    linter = BrandLinter(parse_guidelines(CONTRACT, source="t"))
    by_text = {
        "cheap": "affordable",
        "Cheap": "Affordable",
        "CHEAP": "AFFORDABLE",
    }
    for word, expected in by_text.items():
        (violation,) = [v for v in linter.lint(f"so {word} today") if v.code == "brand.glossary"]
        assert violation.suggestion == expected
        assert "affordable" in violation.message.lower()


def test_inflections_the_glossary_lists_are_matched_with_their_own_replacement() -> None:
    guidelines = {
        "glossary": {"cheap": {"use": "affordable", "forms": {"cheaper": "more affordable"}}},
        "banned_terms": {"de": ["garantiert"]},
    }
    linter = BrandLinter(parse_guidelines(guidelines, source="t"))
    found = {v.suggestion for v in linter.lint("cheap, cheaper, cheapest")}
    assert found == {"affordable", "more affordable"}
    # forms as a list take the base replacement
    listed = parse_guidelines(
        {"glossary": {"buy": {"use": "get", "forms": ["buying"]}}}, source="t"
    )
    assert [v.suggestion for v in BrandLinter(listed).lint("Buying now")] == ["Get"]


def test_per_language_terms_follow_the_locale() -> None:
    guidelines = {
        "banned_terms": {"*": ["free"], "de": ["garantiert"]},
        "glossary": {"de": {"billig": "günstig"}},
    }
    text = "free und garantiert billig"
    assert [c for c, _ in lint(guidelines, text, locale="de-DE")] == [
        "brand.banned_term",
        "brand.banned_term",
        "brand.glossary",
    ]
    assert [t for _, t in lint(guidelines, text, locale="en-US")] == ["free"]
    # no locale: every language's rules apply
    assert len(lint(guidelines, text)) == 3


def test_cjk_terms_match_without_word_boundaries() -> None:
    guidelines = {
        "glossary": {"zh": {"便宜": "实惠"}, "ja": {"安い": "お手頃"}},
        "banned_terms": {"zh": ["保证"]},
    }
    assert lint(guidelines, "这个很便宜，我们保证", locale="zh-CN") == [
        ("brand.glossary", "便宜"),
        ("brand.banned_term", "保证"),
    ]
    assert lint(guidelines, "とても安いです", locale="ja") == [("brand.glossary", "安い")]


def test_a_banned_term_in_the_glossary_is_one_violation_with_the_replacement() -> None:
    linter = BrandLinter(
        parse_guidelines(
            {"banned_terms": ["cheap"], "glossary": {"cheap": "affordable"}}, source="t"
        )
    )
    (violation,) = linter.lint("cheap seats")
    assert violation.code == "brand.banned_term" and violation.suggestion == "affordable"


def test_disclaimers_per_channel() -> None:
    g = {"required_disclaimers": {"email": ["Terms apply."], "*": ["Lumen & Loom Ltd"]}}
    assert [c for c, _ in lint(g, "Hello. Lumen & Loom Ltd", channel="email")] == [
        "brand.disclaimer_missing"
    ]
    assert lint(g, "Hello.  terms   APPLY. Lumen & Loom Ltd", channel="email") == []
    assert lint(g, "Hello. Lumen & Loom Ltd", channel="sms") == []
    assert len(lint(g, "Hello", channel="sms")) == 1
    # a part of a document (a subject line) leaves disclaimers to the body
    assert lint(g, "Hello", channel="email", whole_text=False) == []


def test_brand_name_casing() -> None:
    found = lint(CONTRACT, "Welcome to lumen & loom and LUMEN & LOOM, says Lumen & Loom.")
    assert found == [("brand.name_casing", "lumen & loom"), ("brand.name_casing", "LUMEN & LOOM")]


def test_emoji_and_exclamation_policies() -> None:
    assert count_emoji("👍🏽 🇩🇪 👨‍👩‍👧 1️⃣ ✨") == 5
    g = {"emoji": "max_1", "exclamation": "none"}
    found = lint(g, "Great 🎉🎉! Really!")
    assert found == [("brand.emoji", "🎉"), ("brand.exclamation", "!"), ("brand.exclamation", "!")]
    assert lint({"emoji": "allowed", "exclamation": "allowed"}, "🎉🎉🎉!!!") == []


def test_formality_per_language_overrides_the_locale_default() -> None:
    g = {"formality": {"de": "formal", "es": "formal"}}
    found = lint(g, "Hol dir jetzt dein Angebot, du wirst es lieben.", locale="de-DE")
    assert [t for _, t in found] == ["dir", "dein", "du"]
    assert all(c == "brand.formality" for c, _ in found)
    linter = BrandLinter(parse_guidelines(g, source="t"))
    assert linter.lint("Sichern Sie sich Ihr Angebot.", locale="de-DE") == []
    # Spanish: informal address is the locale's default, the brand wants formal
    assert [t for _, t in lint(g, "¿Tú ya tienes tu cupón?", locale="es-ES")] == ["Tú", "tu"]
    # an informal brand flags formal address
    informal = lint(
        {"formality": {"de": "informal"}}, "Sichern Sie sich Ihr Angebot.", locale="de-DE"
    )
    assert [t for _, t in informal] == ["Sie", "Ihr"]
    # no locale, no language: formality cannot be judged
    assert lint(g, "Hol dir dein Angebot") == []


def test_reading_level_only_for_texts_long_enough() -> None:
    g = {"reading_level": {"max_grade": 6}}
    hard = (
        "Notwithstanding the aforementioned considerations, comprehensive organizational "
        "transformation necessitates substantial institutional commitment, particularly "
        "regarding interdepartmental communication infrastructure and accountability "
        "mechanisms throughout implementation."
    )
    ((code, _),) = lint(g, hard, locale="en")
    assert code == "brand.reading_level"
    assert lint(g, "Notwithstanding institutional considerations.", locale="en") == []
    assert (
        lint(
            g,
            "We fixed it. You can log in now. Thanks for your patience with us today, friend.",
            locale="en",
        )
        == []
    )


def test_violations_serialize_with_the_contract_keys() -> None:
    linter = BrandLinter(parse_guidelines(CONTRACT, source="t"))
    data = [v.to_dict() for v in linter.lint("cheap!", channel="email")]
    assert all(set(d) == {"code", "span", "message", "suggestion", "severity"} for d in data)
    assert data[0]["span"] == [0, 5]
    assert data[-1]["span"] is None  # the missing disclaimer: nothing to point at


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_lints_with_spans_inside_it(text: str) -> None:
    linter = BrandLinter(parse_guidelines(CONTRACT, source="t"))
    for violation in linter.lint(text, channel="email", locale="de-DE"):
        if violation.span is not None:
            start, end = violation.span
            assert 0 <= start < end <= len(text)
