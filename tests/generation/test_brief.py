"""Briefs: the contract keys, normalization, and errors that name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from brandloom.generation.brief import EXAMPLE, BriefError, load_brief_file, parse_brief

ACME = EXAMPLE


def test_the_contract_brief_parses() -> None:
    brief = parse_brief(ACME)
    assert brief.channels == ACME["channels"]
    assert brief.locales == ["en-US", "de-DE", "es-ES", "fr-FR"]
    assert brief.must_include_for("de") == ["kostenlose Rücksendung"]
    assert brief.must_include_for("fr") == []
    assert brief.target_emotions == ["excitement", "achievement"]


def test_must_include_as_a_list_applies_to_every_language() -> None:
    brief = parse_brief({"product": "X", "must_include": ["free returns"]})
    assert brief.must_include_for("de") == ["free returns"]
    assert parse_brief({"product": "X", "must_include": {"de-AT": "gratis"}}).must_include_for(
        "de"
    ) == ["gratis"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels": ["fax"]}, "channels: unknown channel 'fax'"),
        ({"target_emotions": ["joyy"]}, "did you mean `joy`"),
        ({"locales": ["not a locale"]}, "locales:"),
        ({"n": 0}, "n:"),
        ({"product": ""}, "product:"),
        ({"must_include": {"english!": ["x"]}}, "must_include"),
        ({"surprise": 1}, "surprise"),
        ({"provider": {"name": "gpt"}}, "provider.name"),
    ],
)
def test_bad_fields_are_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(BriefError) as caught:
        parse_brief({**ACME, **change}, source="brief.yaml")
    assert caught.value.message.startswith("brief.yaml: ")
    assert message in caught.value.message


def test_files_name_themselves(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("product: [unclosed\n", encoding="utf-8")
    with pytest.raises(BriefError, match=r"b.yaml: not valid YAML at line"):
        load_brief_file(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(BriefError, match="not UTF-8"):
        load_brief_file(path)
    json_path = tmp_path / "b.json"
    json_path.write_text('{"product": "Acme", "channels": ["sms"]}', encoding="utf-8")
    assert load_brief_file(json_path).channels == ["sms"]
    with pytest.raises(BriefError, match="cannot read"):
        load_brief_file(tmp_path / "missing.yaml")


def test_translations_give_the_briefs_texts_per_language() -> None:
    brief = parse_brief(
        {
            **ACME,
            "translations": {
                "de-DE": {"offer": "20 % Rabatt bis Sonntag", "cta": "Jetzt ansehen"},
                "fr": {"key_messages": ["80 g plus léger"]},
            },
        }
    )
    german = brief.localized("de")
    assert german.offer == "20 % Rabatt bis Sonntag" and german.cta == "Jetzt ansehen"
    assert german.product == brief.product  # not translated: the default
    assert brief.localized("fr").key_messages == ["80 g plus léger"]
    assert brief.localized("es") is brief
    with pytest.raises(BriefError, match="translations"):
        parse_brief({**ACME, "translations": {"de": {"price": "x"}}})


def test_offline_copy_uses_the_translated_texts() -> None:
    import asyncio

    from brandloom.generation.writer import WriterChoice, write_copy

    brief = parse_brief(
        {
            "product": "Acme Trail Runner 2",
            "offer": "20% off until Sunday",
            "channels": ["email"],
            "locales": ["en-US", "de-DE"],
            "n": 1,
            "translations": {"de": {"offer": "20 % Rabatt bis Sonntag"}},
        }
    )
    result = asyncio.run(write_copy(brief, choice=WriterChoice("offline")))
    german = result["candidates"][result["best"]["email|de-DE"]]
    english = result["candidates"][result["best"]["email|en-US"]]
    assert "20 % Rabatt bis Sonntag" in " ".join(german["content"].values())
    assert "20% off until Sunday" not in " ".join(german["content"].values())
    assert "20% off until Sunday" in " ".join(english["content"].values())
