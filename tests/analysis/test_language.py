"""Language identification: real marketing lines in every default language, priors, shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.language import (
    DEFAULT_LANGUAGES,
    LanguageDetector,
    UnknownLanguage,
    check_languages,
    detect,
    detector,
    supported_languages,
)

# Subject-line-sized copy (20-60 characters), one per default language.
LINES = {
    "en": "Your exclusive offer ends tonight, don't miss it",
    "es": "Tu oferta exclusiva termina esta noche, no te la pierdas",
    "fr": "Votre offre exclusive se termine ce soir, ne la manquez pas",
    "de": "Ihr exklusives Angebot endet heute Abend, verpassen Sie es nicht",
    "it": "La tua offerta esclusiva scade stasera, non perderla",
    "pt": "A sua oferta exclusiva termina esta noite, não perca",
    "nl": "Je exclusieve aanbieding eindigt vanavond, mis het niet",
    "sv": "Ditt exklusiva erbjudande slutar i kväll, missa det inte",
    "da": "Dit eksklusive tilbud udløber i aften, gå ikke glip af det",
    "nb": "Ditt eksklusive tilbud utløper i kveld, ikke gå glipp av det",
    "fi": "Eksklusiivinen tarjouksesi päättyy tänä iltana, älä missaa sitä",
    "pl": "Twoja ekskluzywna oferta kończy się dziś wieczorem, nie przegap",
    "cs": "Vaše exkluzivní nabídka končí dnes večer, nenechte si ji ujít",
    "ro": "Oferta ta exclusivă se încheie în seara aceasta, nu o rata",
    "hu": "Exkluzív ajánlata ma este lejár, ne hagyja ki",
    "el": "Η αποκλειστική σας προσφορά λήγει απόψε, μην τη χάσετε",
    "tr": "Size özel teklifiniz bu akşam sona eriyor, kaçırmayın",
    "ru": "Ваше эксклюзивное предложение заканчивается сегодня вечером",
    "uk": "Ваша ексклюзивна пропозиція закінчується сьогодні ввечері",
    "ar": "ينتهي عرضك الحصري الليلة، لا تفوته",
    "he": "ההצעה הבלעדית שלך מסתיימת הערב, אל תפספסו",
    "hi": "आपका विशेष ऑफ़र आज रात समाप्त हो रहा है, इसे न चूकें",
    "zh": "您的专属优惠今晚结束，千万不要错过",
    "ja": "あなただけの特別オファーは今夜終了します。お見逃しなく",
    "ko": "고객님만을 위한 특별 혜택이 오늘 밤 종료됩니다",
    "id": "Penawaran eksklusif Anda berakhir malam ini, jangan lewatkan",
    "vi": "Ưu đãi độc quyền của bạn kết thúc tối nay, đừng bỏ lỡ",
    "th": "ข้อเสนอพิเศษของคุณจะสิ้นสุดคืนนี้ อย่าพลาด",
}


def test_every_default_language_has_a_line() -> None:
    assert set(LINES) == set(DEFAULT_LANGUAGES)


@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_detects_each_default_language_without_a_prior(language: str) -> None:
    found = detect(LINES[language])
    assert found.language == language, (language, found)
    assert 0.0 < found.confidence <= 1.0


@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_a_correct_locale_prior_makes_detection_surer(language: str) -> None:
    plain = detect(LINES[language])
    hinted = detect(LINES[language], locale=f"{language}-XX")
    assert hinted.language == language
    assert hinted.confidence >= plain.confidence


def test_a_wrong_locale_prior_does_not_hide_clear_english() -> None:
    # The mismatch bulk QA exists to catch: a German contact gets the English fallback.
    found = detect("Your order has shipped and will arrive on Friday", locale="de-DE")
    assert found.language == "en"
    assert found.confidence > 0.8


def test_prior_settles_close_languages_on_short_text() -> None:
    # Danish and Norwegian Bokmål share most short words; the contact's locale decides.
    line = "Vi har et godt tilbud til deg"
    assert detect(line, locale="nb-NO").language == "nb"
    assert detect(line, locale="da-DK").language in {"da", "nb"}


def test_mixed_language_text_reports_its_main_language() -> None:
    text = (
        "Unsere neue Kollektion ist da: leichte Jacken, warme Pullover und bequeme Schuhe "
        "für jeden Tag. Jetzt entdecken und zehn Prozent sparen. Free shipping!"
    )
    assert detect(text).language == "de"


@pytest.mark.parametrize("text", ["", "   ", "12345 67", "🎉🎉🔥", "!!! ???", "\n\t"])
def test_text_without_letters_has_no_language(text: str) -> None:
    found = detect(text)
    assert found.language is None
    assert found.confidence == 0.0


def test_norwegian_is_reported_as_bokmal() -> None:
    assert "nb" in supported_languages()
    assert "no" not in supported_languages()
    assert check_languages(["no", "NB", " sv "]) == ("nb", "sv")


def test_widening_the_candidates_reaches_more_languages() -> None:
    assert len(supported_languages()) >= 30
    bulgarian = "Вашата ексклузивна оферта изтича довечера, не я пропускайте"
    assert detect(bulgarian).language != "bg"  # not a default candidate
    wide = LanguageDetector((*DEFAULT_LANGUAGES, "bg"))
    assert wide.detect(bulgarian).language == "bg"


def test_narrowing_the_candidates_restricts_the_answer() -> None:
    narrow = detector(("en", "de"))
    assert narrow.detect(LINES["nl"]).language in {"en", "de"}
    assert set(narrow.probabilities(LINES["de"])) == {"en", "de"}


def test_unknown_language_codes_are_refused_by_name() -> None:
    with pytest.raises(UnknownLanguage, match="'xx'"):
        check_languages(["en", "xx"])
    with pytest.raises(UnknownLanguage, match="empty"):
        check_languages([])


def test_detect_many_keeps_order_and_priors() -> None:
    texts = [LINES["fr"], "", LINES["ja"]]
    found = detector().detect_many(texts, priors=["fr-FR", None, "ja-JP"])
    assert [f.language for f in found] == ["fr", None, "ja"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_the_documented_shape(text: str) -> None:
    found = detect(text, locale="de-DE")
    assert found.language is None or found.language in DEFAULT_LANGUAGES
    assert 0.0 <= found.confidence <= 1.0
    probabilities = detector().probabilities(text)
    if probabilities:
        assert abs(sum(probabilities.values()) - 1.0) < 1e-6


def test_long_text_is_fine() -> None:
    found = detect(LINES["it"] * 2_000)
    assert found.language == "it"


def test_the_unpacked_model_cache_gives_the_same_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first process keeps the unpacked model in the cache directory; a later one maps it
    back array for array, and an unreadable cache file is replaced, never trusted."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from brandloom.analysis import language

    monkeypatch.setenv("BRANDLOOM_CACHE_DIR", str(tmp_path))
    source = MODEL_DIR / MODEL_FILE
    unpacked = language._model_arrays(source)
    (folder,) = tmp_path.glob("py3langid-*")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.npy" for n in language._ARRAYS)
    mapped = language._model_arrays(source)
    for first, second in zip(unpacked, mapped, strict=True):
        if hasattr(first, "dtype"):
            assert first.dtype == second.dtype
            assert (first == second).all()
        else:  # lists, and arrays of the DFA (read as memoryviews over the mapped file)
            assert list(first) == list(second)
    (folder / "nextmove.npy").write_bytes(b"not an array")
    assert language._model_arrays(source)[2] == unpacked[2]
    assert (folder / "nextmove.npy").stat().st_size > 1_000_000  # rewritten

    monkeypatch.setenv("BRANDLOOM_CACHE_DIR", "")  # set empty: no cache at all
    assert language._model_arrays(source)[2] == unpacked[2]


def test_a_detector_on_the_mapped_model_detects_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from brandloom.analysis import language

    monkeypatch.setenv("BRANDLOOM_CACHE_DIR", str(tmp_path))
    source = MODEL_DIR / MODEL_FILE
    language._model_arrays(source)  # unpack and keep
    ptc, pc, classes, nextmove, row, output = language._model_arrays(source)
    assert isinstance(nextmove, memoryview)
    mapped = LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    shipped = language._identifier()
    for text in (*LINES.values(), "Grüße aus München", "🎉", ""):
        assert mapped.classify(text) == shipped.classify(text)
