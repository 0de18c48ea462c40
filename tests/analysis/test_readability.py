"""Readability: each language's formula on hand-counted texts, unspaced scripts, properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.readability import FORMULAS, readability, syllables

KEYS = {
    "formula",
    "score",
    "grade",
    "words_per_sentence",
    "sentences",
    "words",
    "syllables_per_word",
}


def test_english_flesch_reading_ease_and_kincaid_grade_by_hand() -> None:
    # Our(1) new(1) cof-fee(2) is(1) won-der-ful(3) | Or-der(2) to-day(2) and(1) en-joy(2)
    # free(1) de-liv-er-y(4): 11 words, 20 syllables, 2 sentences; WPS 5.5, SPW 20/11.
    # Flesch: 206.835 - 1.015 * 5.5 - 84.6 * 1.81818 = 206.835 - 5.5825 - 153.8182 = 47.43
    # Flesch-Kincaid: 0.39 * 5.5 + 11.8 * 1.81818 - 15.59 = 2.145 + 21.4545 - 15.59 = 8.01
    result = readability("Our new coffee is wonderful. Order today and enjoy free delivery.", "en")
    assert result == {
        "formula": "flesch",
        "score": pytest.approx(47.43, abs=0.01),
        "grade": pytest.approx(8.0, abs=0.05),
        "words_per_sentence": 5.5,
        "sentences": 2,
        "words": 11,
        "syllables_per_word": pytest.approx(1.818, abs=0.001),
    }


@pytest.mark.parametrize(
    ("language", "text", "formula", "score", "words", "spw"),
    [
        # Der(1) Hund(1) spielt(1) im(1) Gar-ten(2) | Die(1) Kin-der(2) la-chen(2) laut(1):
        # 9 words, 12 syllables, 2 sentences. Amstad: 180 - 4.5 - 58.5 * 1.3333 = 97.5
        ("de", "Der Hund spielt im Garten. Die Kinder lachen laut.", "amstad", 97.5, 9, 1.333),
        # El(1) pe-rro(2) co-me(2) pan(1) | La(1) ca-sa(2) es(1) muy(1) gran-de(2): 9 words,
        # 13 syllables. Corrected Fernández Huerta (F = words per sentence):
        # 206.84 - 60 * 1.4444 - 1.02 * 4.5 = 206.84 - 86.6667 - 4.59 = 115.58
        # (the misprinted form, F = 22.2 sentences per 100 words, would give 97.5).
        ("es", "El perro come pan. La casa es muy grande.", "fernandez_huerta", 115.58, 9, 1.444),
        # Le chat dort sur le lit (6 x 1) | Il(1) fait(1) beau(1) de-hors(2): 10 words, 11
        # syllables. Kandel-Moles: 207 - 1.015 * 5 - 73.6 * 1.1 = 207 - 5.075 - 80.96 = 120.97
        ("fr", "Le chat dort sur le lit. Il fait beau dehors.", "kandel_moles", 120.965, 10, 1.1),
        # Letters: Il 2 + gatto 5 + dorme 5 + sul 3 + letto 5 + Oggi 4 + fa 2 + caldo 5 = 31,
        # 8 words, 2 sentences. Gulpease: 89 + (300 * 2 - 10 * 31) / 8 = 89 + 36.25 = 125.25
        ("it", "Il gatto dorme sul letto. Oggi fa caldo.", "gulpease", 125.25, 8, 1.625),
        # O(1) ga-to(2) dor-me(2) na(1) ca-ma(2) | Ho-je(2) faz(1) sol(1): 8 words, 12
        # syllables. Martins: 248.835 - 1.015 * 4 - 84.6 * 1.5 = 248.835 - 4.06 - 126.9 = 117.875
        ("pt", "O gato dorme na cama. Hoje faz sol.", "flesch_martins", 117.875, 8, 1.5),
        # De kat slaapt op het bed (6 x 1) | Het is mooi weer (4 x 1) van-daag(2): 11 words,
        # 12 syllables. Douma: 206.835 - 0.93 * 5.5 - 77 * 12/11 = 206.835 - 5.115 - 84 = 117.72
        (
            "nl",
            "De kat slaapt op het bed. Het is mooi weer vandaag.",
            "flesch_douma",
            117.72,
            11,
            1.091,
        ),
        # 8 words, 2 sentences, one word over six letters (vackert): LIX 4 + 100 / 8 = 16.5
        ("sv", "Katten sover i sängen. Vädret är vackert idag.", "lix", 16.5, 8, 1.75),
        # Polish has no formula of its own: LIX. 8 words, none over six letters: LIX 4.0
        ("pl", "Kot śpi na łóżku. Dziś jest ładna pogoda.", "lix", 4.0, 8, 1.5),
    ],
)
def test_each_language_uses_its_formula_by_hand(
    language: str, text: str, formula: str, score: float, words: int, spw: float
) -> None:
    result = readability(text, language)
    assert result["formula"] == formula
    assert result["score"] == pytest.approx(score, abs=0.01)
    assert result["words"] == words
    assert result["sentences"] == 2
    assert result["syllables_per_word"] == pytest.approx(spw, abs=0.001)
    assert 0.0 <= result["grade"] <= 18.0


def test_language_tags_use_their_primary_subtag() -> None:
    text = "O gato dorme na cama. Hoje faz sol."
    assert readability(text, "pt-BR") == readability(text, "pt_PT") == readability(text, "PT")


def test_the_grade_follows_flesch_table_for_the_adapted_formulas() -> None:
    # Amstad 97.5 lies past the 95 -> grade 5 midpoint, one grade per 10 points: 4.75
    assert readability("Der Hund spielt im Garten. Die Kinder lachen laut.", "de")["grade"] == (
        pytest.approx(4.75, abs=0.05)
    )
    easy = readability("We sell good tea. It is hot. You will like it.", "en")
    hard = readability(
        "Our comprehensive subscription incorporates personalised recommendations, "
        "complimentary international delivery and unparalleled customer assistance.",
        "en",
    )
    assert easy["score"] > 90 > 0 > hard["score"] - 30
    assert easy["grade"] < 4 < 16 <= hard["grade"]


def test_corrected_fernandez_huerta_rewards_shorter_sentences() -> None:
    long = readability("El perro come pan y la casa es muy grande y bonita.", "es")
    short = readability("El perro come pan. La casa es muy grande. Es bonita.", "es")
    assert short["score"] > long["score"]


def test_other_alphabetic_languages_and_no_language_get_lix() -> None:
    result = readability("Our new coffee is wonderful.", None)
    # 5 words, 1 sentence, 1 long word (wonderful): 5 + 100 * 1 / 5 = 25
    assert result["formula"] == "lix"
    assert result["score"] == pytest.approx(25.0)
    assert result["syllables_per_word"] is None  # no language, no hyphenation dictionary
    russian = readability("Новая коллекция уже в магазинах. Успейте купить!", "ru")
    assert russian["formula"] == "lix"
    assert russian["words"] == 7 and russian["sentences"] == 2


@pytest.mark.parametrize(
    ("language", "text", "words", "sentences"),
    [
        # 今日だけの特別セール (10 characters) 。今すぐお買い求めください (12) ！
        ("ja", "今日だけの特別セール。今すぐお買い求めください！", 22, 2),
        ("zh", "限时优惠。立即购买！", 8, 2),
        # Arabic is spaced: عرض خاص اليوم فقط / اشترِ الآن
        ("ar", "عرض خاص اليوم فقط. اشترِ الآن!", 6, 2),
        # Thai separates sentences with a space and words with nothing
        ("th", "ลดราคาพิเศษ วันนี้เท่านั้น", None, 2),
    ],
)
def test_unspaced_and_non_alphabetic_scripts_count_units_without_a_formula(
    language: str, text: str, words: int | None, sentences: int
) -> None:
    result = readability(text, language)
    assert result["formula"] is None and result["score"] is None and result["grade"] is None
    assert result["sentences"] == sentences
    assert result["words"] > 0 if words is None else result["words"] == words
    assert result["words_per_sentence"] == pytest.approx(result["words"] / sentences, abs=0.01)


def test_a_language_formula_is_not_applied_to_text_in_another_script() -> None:
    assert readability("限时优惠。立即购买！", "en")["formula"] is None


def test_line_breaks_end_sentences_and_abbreviations_do_not() -> None:
    text = "Summer Sale\nUp to 50% off everything\nShop now"
    assert readability(text, "en")["sentences"] == 3
    assert readability("Approx. ten people e.g. you. Then more.", "en")["sentences"] == 2
    assert readability("Rated 4.5 stars by 1,000 buyers.", "en")["words"] == 6


def test_syllables_restore_breaks_hyphenation_leaves_out() -> None:
    assert syllables("every", "en") == 3
    assert syllables("create", "en") == 2
    assert syllables("chance", "en") == 1
    assert syllables("table", "en") == 2
    assert syllables("garantía", "es") == 4
    assert syllables("día", "es") == 2
    assert syllables("Geschwindigkeit", "de") == 4
    assert syllables("dernière", "fr") == 2
    assert syllables("2024", "en") == 1


def test_every_named_formula_has_a_language() -> None:
    assert set(FORMULAS) == {"en", "de", "es", "fr", "it", "pt", "nl"}


@pytest.mark.parametrize("text", ["", "   \n\t", "😀🎉🔥", "!!! ??? ...", "—", "\u200b\u200d"])
def test_texts_without_words(text: str) -> None:
    result = readability(text, "en")
    assert set(result) == KEYS
    assert result["words"] == 0 and result["sentences"] == 0
    assert result["score"] is None and result["formula"] is None
    assert result["words_per_sentence"] == 0.0


def test_a_100000_character_text() -> None:
    text = ("Our new coffee is wonderful. Order today and enjoy free delivery! " * 1600)[:100_000]
    result = readability(text, "en")
    assert result["formula"] == "flesch"
    assert result["sentences"] >= 3000
    assert result["score"] == pytest.approx(47.4, abs=0.5)


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=300),
    language=st.sampled_from([None, "en", "de", "es", "fr", "it", "pt", "nl", "sv", "ja", "xx"]),
)
def test_any_text_returns_the_documented_shape(text: str, language: str | None) -> None:
    result = readability(text, language)
    assert set(result) == KEYS
    assert result["words"] >= 0 and result["sentences"] >= 0
    assert result["words_per_sentence"] >= 0
    assert (result["score"] is None) == (result["formula"] is None) == (result["grade"] is None)
    if result["grade"] is not None:
        assert 0.0 <= result["grade"] <= 18.0
    if result["words"]:
        assert result["sentences"] >= 1


@settings(max_examples=60, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["Sale!", "限时", "ลดราคา", "عرض", "Новинка", "😀", "\n", " ", "30%"]),
        max_size=40,
    ).map("".join)
)
def test_mixed_scripts_never_crash(text: str) -> None:
    assert set(readability(text, None)) == KEYS


def test_the_parsed_patterns_cache_gives_the_same_hyphenation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first process keeps a language's parsed patterns in the cache directory; a later
    one (here: pyphen's in-memory cache emptied) reads them back and hyphenates alike."""
    import pyphen

    from brandloom.analysis import readability as mod

    monkeypatch.setenv("BRANDLOOM_CACHE_DIR", str(tmp_path))
    path = pyphen.LANGUAGES["de_DE"]
    monkeypatch.delitem(pyphen.hdcache, path, raising=False)
    mod._load_patterns("de_DE")
    parsed = pyphen.hdcache.pop(path)
    (cached,) = tmp_path.glob("pyphen-*-de_DE-*.json")
    mod._load_patterns("de_DE")
    # read back as lists (pyphen unpacks a pattern as ``offset, values``): the same patterns
    read = {
        key: (start, tuple(values))
        for key, (start, values) in pyphen.hdcache[path].patterns.items()
    }
    assert read == parsed.patterns
    words = ["Silbentrennung", "Donaudampfschifffahrt", "Rücksendung", "schön"]
    fresh = pyphen.Pyphen(lang="de_DE")
    assert [fresh.positions(w) for w in words] == [
        [i for i in parsed.positions(w) if 2 <= i <= len(w) - 2] for w in words
    ]
    cached.write_text("{not json")
    pyphen.hdcache.pop(path)
    mod._load_patterns("de_DE")  # unreadable: parsed again
    assert pyphen.hdcache[path].patterns == parsed.patterns
