"""Motivators: real marketing lines in every lexicon language, evidence, scores, properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.motivators import (
    MOTIVATORS,
    _lexicon,
    _phrases,
    lexicon_coverage,
    lexicon_languages,
    motivators,
)

LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl", "sv", "pl", "zh", "ja")


def evidence(text: str, language: str | None) -> dict[str, list[str]]:
    """The motivators found, with their evidence."""
    return {
        name: found["evidence"]
        for name, found in motivators(text, language).items()
        if found["evidence"]
    }


def test_the_ten_motivators_in_order() -> None:
    assert MOTIVATORS == (
        "urgency",
        "exclusivity",
        "trust",
        "curiosity",
        "belonging",
        "achievement",
        "fear_of_missing_out",
        "security",
        "value",
        "novelty",
    )


def test_every_language_has_a_lexicon_with_every_motivator() -> None:
    assert set(LANGUAGES) <= set(lexicon_languages())
    coverage = lexicon_coverage()
    for language in LANGUAGES:
        assert set(coverage[language]) == set(MOTIVATORS)
        assert all(count >= 8 for count in coverage[language].values()), language


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "Last chance: 30% off ends tonight!",
            {"urgency": ["Last chance", "ends tonight"], "value": ["30% off"]},
        ),
        (
            "de",
            "Letzte Chance: 30 % Rabatt – nur noch heute!",
            {"urgency": ["Letzte Chance", "nur noch heute"], "value": ["30 % Rabatt"]},
        ),
        (
            "es",
            "Última oportunidad: 30 % de descuento, ¡termina esta noche!",
            {
                "urgency": ["Última oportunidad", "termina esta noche"],
                "value": ["30 % de descuento"],
            },
        ),
        (
            "fr",
            "Dernière chance : -30 % jusqu'à minuit !",
            {"urgency": ["Dernière chance", "jusqu'à minuit"], "value": ["-30 %"]},
        ),
        (
            "it",
            "Ultima occasione: 30% di sconto, solo oggi!",
            {"urgency": ["Ultima occasione", "solo oggi"], "value": ["30% di sconto"]},
        ),
        (
            "pt",
            "Última chance: 30% de desconto só hoje!",
            {"urgency": ["Última chance", "só hoje"], "value": ["30% de desconto"]},
        ),
        (
            "nl",
            "Laatste kans: 30% korting, alleen vandaag!",
            {"urgency": ["Laatste kans", "alleen vandaag"], "value": ["30% korting"]},
        ),
        (
            "sv",
            "Sista chansen: 30 % rabatt, bara idag!",
            {"urgency": ["Sista chansen", "bara idag"], "value": ["30 % rabatt"]},
        ),
        (
            "pl",
            "Ostatnia szansa: -30% tylko dziś!",
            {"urgency": ["Ostatnia szansa", "tylko dziś"], "value": ["-30%"]},
        ),
    ],
)
def test_urgency_and_value_in_every_language(
    language: str, text: str, expected: dict[str, list[str]]
) -> None:
    found = motivators(text, language)
    assert evidence(text, language) == expected
    assert found["urgency"]["score"] > 0.75  # two clear cues
    assert 0.5 < found["value"]["score"] < found["urgency"]["score"]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "Members only: early access to our limited edition. Free shipping, no hidden fees.",
            {
                "exclusivity": ["Members only", "early access", "limited edition"],
                "trust": ["no hidden fees"],
                "value": ["Free shipping"],
            },
        ),
        (
            "de",
            "Exklusiv für Mitglieder: versandkostenfrei bestellen, mit Geld-zurück-Garantie.",
            {
                "exclusivity": ["Exklusiv", "für Mitglieder"],
                "trust": ["Geld-zurück-Garantie"],
                "value": ["versandkostenfrei"],
            },
        ),
        (
            "es",
            "No te lo pierdas: ¡casi agotado! Únete a nuestra comunidad.",
            {
                "fear_of_missing_out": ["No te lo pierdas", "casi agotado"],
                "belonging": ["Únete a", "nuestra comunidad"],
            },
        ),
        (
            "fr",
            "Découvrez comment est née notre nouvelle collection. Paiement sécurisé.",
            {
                "curiosity": ["Découvrez comment"],
                "novelty": ["nouvelle collection"],
                "security": ["Paiement sécurisé"],
            },
        ),
        (
            "it",
            "Non perdere l'edizione limitata: quasi esaurita! Spedizione gratuita.",
            {
                "fear_of_missing_out": ["Non perdere", "quasi esaurita"],
                "exclusivity": ["edizione limitata"],
                "value": ["Spedizione gratuita"],
            },
        ),
        (
            "pt",
            "Alcance seus objetivos com a nossa comunidade. Cancele a qualquer momento.",
            {
                "achievement": ["Alcance seus objetivos"],
                "belonging": ["nossa comunidade"],
                "security": ["Cancele a qualquer momento"],
            },
        ),
    ],
)
def test_other_motivators_with_their_phrases(
    language: str, text: str, expected: dict[str, list[str]]
) -> None:
    assert evidence(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "zh",
            "限时优惠：全场包邮，不要错过！",
            {
                "urgency": ["限时"],
                "fear_of_missing_out": ["不要错过"],
                "value": ["优惠", "包邮"],
            },
        ),
        (
            "ja",
            "期間限定：送料無料、お見逃しなく！",
            {
                "urgency": ["期間限定"],
                "fear_of_missing_out": ["お見逃しなく"],
                "value": ["送料無料"],
            },
        ),
        (
            "ja",
            "新作コレクションが新登場。会員限定で20%オフ！",
            {"exclusivity": ["会員限定"], "value": ["20%オフ"], "novelty": ["新作", "新登場"]},
        ),
    ],
)
def test_chinese_and_japanese_match_without_word_boundaries(
    language: str, text: str, expected: dict[str, list[str]]
) -> None:
    assert evidence(text, language) == expected
    # a Chinese cue inside an English line, without spaces, read with every lexicon
    assert evidence("Sale限时special", None)["urgency"] == ["限时"]


def test_a_negated_cue_does_not_count_but_phrases_with_their_own_negation_do() -> None:
    assert evidence("This edition is not exclusive.", "en") == {}
    assert evidence("Kein Risiko: jederzeit kündbar.", "de") == {
        "security": ["Kein Risiko", "jederzeit kündbar"]
    }
    # "nicht" belongs to the first cue and does not negate the next one
    assert evidence("Nicht verpassen – fast ausverkauft!", "de") == {
        "fear_of_missing_out": ["Nicht verpassen", "fast ausverkauft"]
    }
    assert evidence("Ce n'est pas exclusif.", "fr") == {}
    assert evidence("这不是限量版", "zh") == {}
    assert evidence("Don't miss out!", "en") == {"fear_of_missing_out": ["Don't miss out"]}


def test_evidence_is_as_written_deduplicated_in_text_order() -> None:
    text = "FREE SHIPPING today. Free shipping tomorrow… last chance! free shipping"
    found = motivators(text, "en")
    assert found["value"]["evidence"] == ["FREE SHIPPING"]
    assert found["urgency"]["evidence"] == ["today", "last chance"]
    # a typographic apostrophe is the same phrase
    assert evidence("Don’t miss out", "en") == {"fear_of_missing_out": ["Don’t miss out"]}


def test_whole_words_only() -> None:
    assert evidence("Freedom and newsletter savings", "en") == {"value": ["savings"]}


def test_scores_grow_with_cues_saturate_and_shrink_with_length() -> None:
    one = motivators("Last chance.", "en")["urgency"]["score"]
    two = motivators("Last chance, ends tonight.", "en")["urgency"]["score"]
    three = motivators("Last chance, ends tonight. Hurry!", "en")["urgency"]["score"]
    assert 0.5 < one < two < three < 1.0
    # repeating one phrase adds less than a new phrase, and never more than twice its weight
    repeated = motivators("Last chance. " * 20, "en")["urgency"]["score"]
    assert one < repeated <= two
    filler = " ".join(["We make our coffee with care in small batches every morning."] * 30)
    diluted = motivators(f"Last chance. {filler}", "en")["urgency"]["score"]
    assert 0 < diluted < one / 2
    cues = (
        "Last chance! Ends tonight. Hurry, only 3 left. Act now, limited time, final hours. "
        "Today only: while supplies last, before it's gone. Don't wait! Deadline at midnight. "
    )
    assert motivators(cues * 3 + filler, "en")["urgency"]["score"] > 0.97


def test_language_tags_and_languages_without_a_lexicon() -> None:
    assert evidence("Última chance: frete grátis!", "pt-BR") == {
        "urgency": ["Última chance"],
        "value": ["frete grátis"],
    }
    # no language, or one without a lexicon: every lexicon is used
    mixed = "Sale! Limited edition, gratis Versand."
    assert evidence(mixed, None) == evidence(mixed, "ko") == evidence(mixed, "")
    assert "exclusivity" in evidence(mixed, None)
    # with its language known, a word is read in that language only (Italian "sale" is salt)
    assert evidence("Aggiungi il sale e il pepe.", "it") == {}


def test_every_plain_phrase_of_every_lexicon_finds_itself() -> None:
    plain = re.compile(r"^[^()|?\[\]*#\\]+$")
    for language in LANGUAGES:
        for motivator, phrases in _phrases(language).items():
            for phrase in phrases:
                if not plain.match(phrase):
                    continue
                found = motivators(phrase, language)
                assert found[motivator]["evidence"], (language, motivator, phrase)


def test_every_lexicon_compiles_alone_and_together() -> None:
    for language in (*LANGUAGES, "*"):
        lexicon = _lexicon(language)
        assert lexicon.buckets or lexicon.unspaced is not None


def assert_shape(result: dict[str, dict[str, object]], text: str) -> None:
    assert tuple(result) == MOTIVATORS
    folded = text.casefold()
    for found in result.values():
        assert set(found) == {"score", "evidence"}
        score = found["score"]
        assert isinstance(score, float) and 0.0 <= score <= 1.0
        phrases = found["evidence"]
        assert isinstance(phrases, list)
        assert (score == 0.0) == (not phrases)
        assert all(isinstance(p, str) and p in text for p in phrases)
        assert len({" ".join(p.casefold().split()) for p in phrases}) == len(phrases)
        positions = [folded.find(p.casefold()) for p in phrases]
        assert all(position >= 0 for position in positions)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀🎉🔥💯",
        "限时优惠，立即购买！",
        "ลดราคาพิเศษวันนี้เท่านั้น",
        "عرض خاص لفترة محدودة",
        "Новая коллекция — скидка 30%!",
    ],
)
def test_texts_without_cues(text: str) -> None:
    result = motivators(text, None)
    assert_shape(result, text)


def test_a_100000_character_text() -> None:
    text = ("Discover our new collection and enjoy free shipping today. " * 1700)[:100_000]
    result = motivators(text, "en")
    assert_shape(result, text)
    assert result["value"]["evidence"] == ["free shipping"]
    assert result["novelty"]["evidence"] == ["new collection"]


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=300),
    language=st.sampled_from([None, "en", "de", "fr", "pt-BR", "pl", "ja"]),
)
def test_any_text_returns_every_motivator_within_bounds(text: str, language: str | None) -> None:
    assert_shape(motivators(text, language), text)


@settings(max_examples=80, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            [
                "Last chance",
                " 30% off",
                "限时",
                "😀",
                " gratis ",
                "Exklusiv",
                "\n",
                "don't",
                " no ",
                "ÉDITION LIMITÉE",
                "’",
                "-",
            ]
        ),
        max_size=30,
    )
)
def test_mixed_cues_and_scripts(parts: list[str]) -> None:
    text = "".join(parts)
    assert_shape(motivators(text, None), text)
