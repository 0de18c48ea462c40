"""Single-query templates: catalog names, keys per segment, the layouts that read them."""

from __future__ import annotations

import pytest

from brandloom.generation.brief import BriefError, parse_brief
from brandloom.generation.templates import (
    KEYS,
    _schema,
    catalog_keys,
    check_catalog,
    keys_for,
    template_parts,
)
from brandloom.templates.engine import TemplateSource, compile_template

SEGMENTED = {
    "product": "Acme",
    "segments": {"column": "tier", "values": {"gold": "loyal", "silver": "regular"}},
}


def test_catalogs_are_named_by_language_unless_two_locales_share_it() -> None:
    assert catalog_keys(["en-US", "de-DE"]) == {"en-US": "en", "de-DE": "de"}
    assert catalog_keys(["pt-BR", "pt-PT", "es-ES"]) == {
        "pt-BR": "pt-BR",
        "pt-PT": "pt-PT",
        "es-ES": "es",
    }


def test_segments_add_their_keys_to_a_closed_schema() -> None:
    brief = parse_brief(SEGMENTED)
    keys = keys_for(brief)
    assert keys[: len(KEYS)] == KEYS
    assert keys[len(KEYS) :] == (
        "seg_1_subject",
        "seg_1_preheader",
        "seg_1_body_1",
        "seg_2_subject",
        "seg_2_preheader",
        "seg_2_body_1",
    )
    schema = _schema(["en", "de"], keys)
    one = schema["properties"]["catalogs"]["properties"]["de"]
    assert one["required"] == list(keys) and one["additionalProperties"] is False
    assert one["properties"]["seg_2_subject"]["description"] == "at most 60 characters"


def test_the_layouts_compile_and_switch_on_the_segment() -> None:
    parts = template_parts(
        personalize=True, unsubscribe_source="https://x.example/u", brief=parse_brief(SEGMENTED)
    )
    assert parts["subject"].startswith("{% if tier == 'gold' %}{{ t.seg_1_subject }}")
    assert "{% else %}{{ t.subject }}{% endif %}" in parts["subject"]
    assert "{% if first_name %}{{ t.greeting_named }}" in parts["html"]
    compile_template(TemplateSource(parts=parts, engine="jinja"))


def test_segment_values_cannot_reach_the_template_source() -> None:
    with pytest.raises(BriefError, match="segments"):
        parse_brief({**SEGMENTED, "segments": {"column": "tier", "values": {"x' or 1 %}": "y"}}})
    with pytest.raises(BriefError, match=r"segments\.column"):
        parse_brief({**SEGMENTED, "segments": {"column": "Tier Name", "values": {"x": "y"}}})


def test_a_catalog_is_checked_key_by_key() -> None:
    catalog = dict.fromkeys(KEYS, "Fine copy")
    catalog["greeting_named"] = "Hi {first_name},"
    catalog["subject"] = "x" * 61
    catalog["body_1"] = "Hi [First Name], so cheap"
    problems = check_catalog(
        catalog,
        name="messages.en",
        avoid=["cheap"],
        must_include=["free returns"],
        personalize=True,
        system_prompt=None,
    )
    assert "messages.en.subject: 61 characters; at most 60" in problems
    assert any(p.startswith("messages.en.body_1: uses 'cheap'") for p in problems)
    assert any("placeholder" in p for p in problems)
    assert "messages.en: missing 'free returns'" in problems
    catalog["greeting_named"] = "Hi there,"
    assert any(
        "exactly once" in p
        for p in check_catalog(
            catalog, name="m", avoid=[], must_include=[], personalize=True, system_prompt=None
        )
    )
