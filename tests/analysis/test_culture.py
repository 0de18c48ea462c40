"""Culture and locale checks: real copy in many languages, what each rule flags and what it must
leave alone, the locale data itself, and properties over arbitrary text."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.culture import (
    CultureError,
    UnknownLocaleError,
    culture_check,
    locale_profile,
    supported_locales,
)
from brandloom.errors import BrandloomError

NBSP = "\u00a0"
REQUIRED = [
    *("en-US", "en-GB", "de-DE", "de-AT", "de-CH", "fr-FR", "fr-CA", "es-ES", "es-MX", "it-IT"),
    *("pt-PT", "pt-BR", "nl-NL", "nl-BE", "sv-SE", "da-DK", "nb-NO", "fi-FI", "pl-PL", "cs-CZ"),
    *("ro-RO", "hu-HU", "el-GR", "tr-TR", "ru-RU", "uk-UA", "ar-SA", "he-IL", "hi-IN", "zh-CN"),
    *("zh-TW", "ja-JP", "ko-KR", "id-ID", "vi-VN", "th-TH"),
]
DATA = resources.files("brandloom.analysis").joinpath("data", "culture")


def codes(text: str, locale: str, **kwargs: Any) -> list[str]:
    return [f["code"] for f in culture_check(text, locale, **kwargs)]


def only(text: str, locale: str, code: str, **kwargs: Any) -> dict[str, Any]:
    found = [f for f in culture_check(text, locale, **kwargs) if f["code"] == code]
    assert len(found) == 1, culture_check(text, locale, **kwargs)
    return found[0]


def spanned(text: str, finding: dict[str, Any]) -> str:
    start, end = finding["span"]
    return text[start:end]


# ---------------------------------------------------------------------------- the data


def test_at_least_thirty_locales_with_every_required_one() -> None:
    locales = supported_locales()
    assert len(locales) >= 30
    assert set(REQUIRED) <= set(locales)


def test_the_generated_cldr_file_names_its_version_license_and_sources() -> None:
    data = json.loads(DATA.joinpath("cldr.json").read_text(encoding="utf-8"))
    assert data["license"] == "Unicode License v3"
    assert data["cldr_version"]
    assert set(data["source_packages"]) == {"cldr-misc-full", "cldr-person-names-full"}
    assert set(data["locales"]) == set(supported_locales())
    assert data["locales"]["de-DE"]["quotes"]["start"] == "„"
    assert data["locales"]["ja-JP"]["name_order"] == "surname_first"


def _entries_with_sources(data: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    out.extend((data.get("salutations") or {}).values())
    out.extend(data.get("numbers_to_avoid") or [])
    out.extend(data.get("quotes_also_accepted") or [])
    out.extend(data.get("notes") or [])
    register = data.get("register") or {}
    if register:
        out.append(register)
        out.extend(register[k] for k in ("informal", "formal") if k in register)
    if data.get("honorifics"):
        out.append(data["honorifics"])
    return out


@pytest.mark.parametrize("tag", supported_locales())
def test_every_hand_entry_names_a_source(tag: str) -> None:
    data = yaml.safe_load(DATA.joinpath("locales", f"{tag}.yaml").read_text(encoding="utf-8"))
    assert data["locale"] == tag
    for entry in _entries_with_sources(data):
        assert isinstance(entry.get("source"), str) and entry["source"].strip(), entry
    profile = locale_profile(tag)
    assert profile["register"]["default"] in ("formal", "informal", "none")
    assert profile["salutations"].keys() == {"formal", "informal"}


@pytest.mark.parametrize(
    ("tags", "default"),
    [
        ("de-DE fr-FR it-IT pt-PT ru-RU pl-PL nl-BE ja-JP zh-CN ko-KR", "formal"),
        ("es-ES pt-BR en-US nl-NL sv-SE da-DK nb-NO", "none"),
    ],
)
def test_default_registers_follow_the_contract(tags: str, default: str) -> None:
    for tag in tags.split():
        assert locale_profile(tag)["register"]["default"] == default, tag


def test_profile_brings_babel_cldr_and_hand_data_together() -> None:
    de = locale_profile("de-DE")
    assert (de["language"], de["region"], de["rtl"]) == ("de", "DE", False)
    assert (de["decimal_symbol"], de["group_symbol"]) == (",", ".")
    assert de["currency"] == "EUR" and de["currency_example"] == f"1.234,50{NBSP}€"
    assert de["date_format"]["medium_example"] == "31.12.2026"
    assert (de["first_day_of_week"], de["weekend"]) == ("monday", ["saturday", "sunday"])
    assert de["plural_categories"] == ["one", "other"]
    assert de["quotes"]["start"] == "„" and de["name_order"] == "given_first"
    assert "du" in de["register"]["informal"] and "Sie" in de["register"]["formal"]
    assert any(n["number"] == 88 for n in de["numbers_to_avoid"])

    ar = locale_profile("ar-SA")
    assert ar["rtl"] and ar["weekend"] == ["friday", "saturday"]
    assert ar["first_day_of_week"] == "sunday"
    assert ar["plural_categories"] == ["zero", "one", "two", "few", "many", "other"]
    assert locale_profile("he-IL")["rtl"]
    assert locale_profile("hi-IN")["weekend"] == ["sunday"]
    ja = locale_profile("ja-JP")
    assert ja["name_order"] == "surname_first" and ja["quotes"]["start"] == "「"
    assert ja["plural_categories"] == ["other"]
    assert locale_profile("en-US")["date_format"]["short_example"] == "12/31/26"


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("de", "de-DE"),
        ("de_DE", "de-DE"),
        ("DE-de", "de-DE"),
        ("en", "en-US"),
        ("pt", "pt-BR"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-Hant", "zh-TW"),
        ("ar", "ar-SA"),
        ("no", "nb-NO"),
    ],
)
def test_a_bare_language_or_another_spelling_resolves(given: str, resolved: str) -> None:
    assert locale_profile(given)["locale"] == resolved


def test_an_unknown_locale_is_a_clear_422_with_suggestions() -> None:
    with pytest.raises(UnknownLocaleError) as caught:
        culture_check("Hallo", "de-LU")
    error = caught.value
    assert isinstance(error, BrandloomError)
    assert (error.code, error.status) == ("culture.unknown_locale", 422)
    assert "de-DE" in error.message and "de-AT" in error.message
    assert error.details["suggestions"] == ["de-AT", "de-CH", "de-DE"]
    with pytest.raises(UnknownLocaleError, match="xx-YY"):
        locale_profile("xx-YY")
    with pytest.raises(UnknownLocaleError):
        culture_check("x", "")


def test_a_bad_formality_is_refused() -> None:
    with pytest.raises(CultureError) as caught:
        culture_check("Hallo", "de-DE", formality="casual")
    assert caught.value.status == 422


# ---------------------------------------------------------------------------- register


def test_german_du_is_flagged_in_formal_default_copy_with_the_sie_form() -> None:
    text = "Hol dir jetzt deinen Gutschein, du wirst ihn lieben!"
    found = culture_check(text, "de-DE")
    assert [spanned(text, f) for f in found] == ["dir", "deinen", "du"]
    assert [f["suggestion"] for f in found] == ["Ihnen", "Ihren", "Sie"]
    assert all(f["code"] == "culture.formality" and "de-DE" in f["message"] for f in found)
    # Sie / Ihr / sie (she) are never informal
    assert culture_check("Sie erhalten Ihren Gutschein; sie gilt ab heute.", "de-DE") == []


def test_german_formal_address_is_flagged_only_where_the_brand_chose_du() -> None:
    text = "Wir danken Ihnen. Ihr Gutschein gilt, wenn Sie bestellen."
    assert culture_check(text, "de-DE") == []
    found = culture_check(text, "de-DE", formality="informal")
    # sentence-initial "Ihr" may be "her"/"their"/"you (plural)": ambiguous, left alone
    assert [spanned(text, f) for f in found] == ["Ihnen", "Sie"]
    assert [f["suggestion"] for f in found] == ["dir", "du"]
    assert "the brand" in found[0]["message"]
    assert culture_check("Du bekommst deinen Rabatt.", "de-DE", formality="informal") == []


def test_french_tu_and_vous() -> None:
    text = "Merci ! Tu vas adorer ton cadeau, et t’inscrire est gratuit. Le ton est juste."
    found = culture_check(text, "fr-FR")
    assert [spanned(text, f) for f in found] == ["Tu", "ton", "t’"]  # "Le ton": the noun
    assert found[0]["suggestion"] == "Vous"
    assert culture_check("Merci pour votre commande : vous recevrez un e-mail.", "fr-FR") == []
    informal = culture_check("Vous recevrez votre cadeau.", "fr-FR", formality="informal")
    assert [f["suggestion"] for f in informal] == ["Tu", "ton/ta"]


def test_spanish_has_no_default_register_but_follows_the_brand() -> None:
    tu, usted = "¿Tú ya tienes tu cupón?", "¿Usted ya tiene su cupón?"
    assert culture_check(tu, "es-ES") == [] and culture_check(usted, "es-MX") == []
    assert [spanned(tu, f) for f in culture_check(tu, "es-ES", formality="formal")] == ["Tú", "tu"]
    assert codes(usted, "es-MX", formality="informal") == ["culture.formality"]
    assert (
        codes("¿Vos ya tenés tu cupón?", "es-AR", formality="formal") == ["culture.formality"] * 2
    )


@pytest.mark.parametrize(
    ("locale", "informal", "formal"),
    [
        (
            "it-IT",
            "Ti aspettiamo: il tuo sconto è pronto.",
            "La aspettiamo: il Suo sconto è pronto.",
        ),
        (
            "ru-RU",
            "Ты получишь свою скидку, твой заказ готов.",
            "Вы получите свою скидку, ваш заказ готов.",
        ),
        (
            "uk-UA",
            "Ти отримаєш знижку, твоє замовлення готове.",
            "Ви отримаєте знижку, ваше замовлення готове.",
        ),
        (
            "pl-PL",
            "Masz już swój rabat? Twoje zamówienie czeka.",
            "Czy otrzymała Pani rabat? Zamówienie czeka.",
        ),
        ("cs-CZ", "Získáš slevu na tvůj nákup.", "Získáte slevu na Váš nákup."),
        ("pt-PT", "Obrigado pela tua encomenda, vais adorar.", "Obrigado pela sua encomenda."),
        (
            "nl-BE",
            "Bedankt voor jouw bestelling, je krijgt korting.",
            "Bedankt voor uw bestelling, u krijgt korting.",
        ),
        ("zh-CN", "你好！感谢你的订购。", "您好！感谢您的订购。"),
        ("ja-JP", "お前にぴったりの一品です。", "お客様にぴったりの一品です。"),
        ("ko-KR", "너를 위한 특별한 선물이야.", "고객님을 위한 특별한 선물입니다. 너무 좋아요!"),
        ("hi-IN", "तुम्हारा ऑर्डर तैयार है।", "आपका ऑर्डर तैयार है।"),
    ],
)
def test_informal_address_is_flagged_in_formal_default_locales(
    locale: str, informal: str, formal: str
) -> None:
    assert "culture.formality" in codes(informal, locale)
    assert culture_check(formal, locale) == []


def test_portuguese_brazil_accepts_voce_unless_the_brand_is_formal() -> None:
    text = "Você ganhou um cupom!"
    assert culture_check(text, "pt-BR") == []
    assert only(text, "pt-BR", "culture.formality", formality="formal")["suggestion"] == (
        "O senhor / a senhora"
    )
    assert codes("O senhor ganhou um cupom!", "pt-BR", formality="informal") == [
        "culture.formality"
    ]


def test_dutch_je_is_fine_in_the_netherlands_but_not_in_flanders() -> None:
    text = "Bedankt voor je bestelling!"
    assert culture_check(text, "nl-NL") == []
    assert only(text, "nl-BE", "culture.formality")["suggestion"] == "u"


def test_turkish_dotted_capital_i_is_matched_and_suggested() -> None:
    found = culture_check("SİZİN için özel fırsat, SİZ kaçırmayın", "tr-TR", formality="informal")
    assert [f["suggestion"] for f in found] == ["Senin", "Sen"]


def test_english_has_no_register_to_check() -> None:
    assert culture_check("Hey you, grab your deal!", "en-US", formality="formal") == []


# ---------------------------------------------------------------------------- numbers, money, dates


def test_a_dollar_amount_written_the_american_way_in_german_copy() -> None:
    text = "Jetzt für $1,234.50 kaufen!"
    found = only(text, "de-DE", "culture.currency_format")
    assert spanned(text, found) == "$1,234.50"
    assert found["suggestion"] == f"1.234,50{NBSP}$"
    assert "de-DE" in found["message"] and "after" in found["message"]
    assert len(culture_check(text, "de-DE")) == 1  # one finding for the amount, not two


@pytest.mark.parametrize(
    ("text", "locale", "suggestion"),
    [
        ("Preis: 1,234.50 €", "de-DE", f"1.234,50{NBSP}€"),
        ("Über 1,234,567 Kunden", "de-DE", "1.234.567"),
        ("Only 1.234,50 kg left", "en-US", "1,234.50"),
        ("Over 1.000.000 customers", "en-US", "1,000,000"),
        ("Seulement 3.5 kg", "fr-FR", "3,5"),
        ("Nur 19.99 € heute", "de-DE", f"19,99{NBSP}€"),
        ("Mieten ab 1.234,50", "de-CH", "1'234.50"),
    ],
)
def test_numbers_whose_separators_contradict_the_locale(
    text: str, locale: str, suggestion: str
) -> None:
    found = only(text, locale, "culture.number_format")
    assert found["suggestion"] == suggestion
    assert locale in found["message"]


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("Ab 1.234,50 € bestellen", "de-DE"),
        ("1,234 Kunden, 1.234 Kunden", "de-DE"),  # one mark before three digits: ambiguous
        ("1,234 customers", "en-US"),
        (f"Dès 1 234,50 € ou 1{NBSP}234,50 € ou 1\u202f234,50 €", "fr-FR"),  # space variants
        ("Dès 1.234,50 €", "fr-FR"),  # decimal mark agrees: a grouping variant
        ("Version 3.5 der App, iOS 17.2, Kapitel 4.1, ab 18.30 Uhr", "de-DE"),
        ("Bis 1'234.50 CHF oder CHF 1'234.50", "de-CH"),
        ("₹1,23,456.50 तक की खरीद", "hi-IN"),
        ("Versand ab 2026-12-31, Bestellnummer 123456789", "de-DE"),
        ("192.168.1.1 und 1.2.3", "de-DE"),
    ],
)
def test_numbers_that_fit_or_cannot_be_told_are_left_alone(text: str, locale: str) -> None:
    assert [f for f in culture_check(text, locale) if f["code"].endswith("_format")] == []


@pytest.mark.parametrize(
    ("text", "locale", "amount", "suggestion"),
    [
        ("Nur € 12 heute", "de-DE", "€ 12", f"12{NBSP}€"),
        ("Nur 12€ heute", "de-DE", "12€", f"12{NBSP}€"),
        ("Prijs 12,50 € vandaag", "nl-NL", "12,50 €", f"€{NBSP}12,50"),
        ("Price 12 € today", "en-US", "12 €", "€12"),
        ("Price $ 5 today", "en-US", "$ 5", "$5"),
        ("Ab 12,50 € heute", "de-AT", "12,50 €", f"€{NBSP}12,50"),
    ],
)
def test_currency_symbol_position_and_spacing(
    text: str, locale: str, amount: str, suggestion: str
) -> None:
    found = only(text, locale, "culture.currency_format")
    assert (spanned(text, found), found["suggestion"]) == (amount, suggestion)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("Nur 12 € oder 1.234,50 €", "de-DE"),
        ("Ab € 12,50", "de-AT"),
        ("Prijs € 12,50", "nl-NL"),
        ("Price $12.50 or €1,234", "en-US"),
        ("Pris 1 234,50 kr eller kr 12", "sv-SE"),
        ("特价¥1,234.50，每件128元", "zh-CN"),
        ("1,000円から、￥1,980", "ja-JP"),
        ("R$ 1.234,50 à vista", "pt-BR"),
    ],
)
def test_amounts_written_the_locale_s_way_are_fine(text: str, locale: str) -> None:
    assert culture_check(text, locale) == []


@pytest.mark.parametrize(
    ("text", "locale", "suggestion"),
    [
        ("Offer ends 31/12/2026.", "en-US", "12/31/2026"),
        ("Offer ends 31.12.2026.", "en-US", "12/31/2026"),
        ("Gültig bis 12/31/2026.", "de-DE", "31.12.2026"),
        ("Valable jusqu'au 12/31/2026.", "fr-FR", "31/12/2026"),
        ("12/31/2026まで", "ja-JP", "2026/12/31"),
        ("Gültig bis 12/31/26.", "de-DE", "31.12.26"),
    ],
)
def test_dates_in_another_locale_s_order(text: str, locale: str, suggestion: str) -> None:
    assert only(text, locale, "culture.date_format")["suggestion"] == suggestion


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("Ends 12/31/2026 (2026-12-31).", "en-US"),
        ("Ends 31/12/2026.", "en-GB"),
        ("Gültig bis 31.12.2026, 05/06/2026 oder 2026-12-31.", "de-DE"),  # 05/06: can't tell
        ("2026/12/31まで", "ja-JP"),
        ("Geldig tot 31-12-2026.", "nl-NL"),
    ],
)
def test_dates_that_fit_are_left_alone(text: str, locale: str) -> None:
    assert culture_check(text, locale) == []


# ---------------------------------------------------------------------------- quotation marks


def test_english_quotes_in_german_copy() -> None:
    text = "Unser Motto: “Qualität zuerst” – und „Service“."
    found = only(text, "de-DE", "culture.quotation_marks")
    assert spanned(text, found) == "“Qualität zuerst”"
    assert found["suggestion"] == "„Qualität zuerst“"
    assert "„…“" in found["message"]


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ('Unser Motto: "Qualität zuerst".', "de-DE"),  # straight quotes are fine everywhere
        ("Unser Motto: »Qualität zuerst«.", "de-DE"),
        (f"Notre devise : «{NBSP}la qualité d’abord{NBSP}».", "fr-FR"),
        ("Наш девиз: «качество прежде всего».", "ru-RU"),
        ("Unser Motto: «Qualität zuerst».", "de-CH"),
        ("Our motto: “quality first”.", "en-US"),
        ("Nuestro lema: «calidad primero» o “calidad”.", "es-ES"),
        ("私たちのモットーは「品質第一」です。", "ja-JP"),
        ("Startseite » Angebote » Sale", "de-DE"),
    ],
)
def test_quotation_marks_that_fit(text: str, locale: str) -> None:
    assert culture_check(text, locale) == []


def test_other_locales_marks_are_flagged() -> None:
    assert only("セール“開催中”", "ja-JP", "culture.quotation_marks")["suggestion"] == "「開催中」"
    assert only("Slogan: „Qualité“", "fr-FR", "culture.quotation_marks")["suggestion"] == (
        f"«{NBSP}Qualité{NBSP}»"
    )
    assert codes("活动「品质第一」", "zh-CN") == ["culture.quotation_marks"]
    assert culture_check("活動「品質第一」", "zh-TW") == []


# ---------------------------------------------------------------------------- numbers to avoid


@pytest.mark.parametrize(
    ("text", "locale", "number"),
    [
        ("特价444元，限时抢购", "zh-CN", "444"),
        ("4個セット", "ja-JP", "4"),
        ("Solo 17 pezzi disponibili", "it-IT", "17"),
        ("13 tips for your launch", "en-US", "13"),
        ("Nur 88 Stück verfügbar", "de-DE", "88"),
        ("4개 세트", "ko-KR", "4"),
    ],
)
def test_numbers_to_avoid(text: str, locale: str, number: str) -> None:
    found = only(text, locale, "culture.avoid_number")
    assert spanned(text, found) == number and found["severity"] == "info"


def test_numbers_to_avoid_are_whole_numbers_only() -> None:
    assert codes("特价1448元，2024年", "zh-CN") == []
    assert codes("Call +1 (555) 013-1313 or 0800 013", "en-US") == []  # codes, not figures
    assert codes("Ab 4:30 Uhr, 13,50 €", "de-DE") == []
    assert codes("Solo 13 pezzi", "it-IT") == []  # 13 is lucky in Italy


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "locale", "suggestion"),
    [
        ("{{ first_name }}様、いつもありがとうございます。", "ja-JP", "{{ last_name }}様"),
        ("{{ first_name }} さん", "ja-JP", "{{ last_name }} さん"),
        ("尊敬的{{ first_name }}：", "zh-CN", "尊敬的{{ last_name }}"),
        ("{{ contact.firstName }}님께", "ko-KR", "{{ contact.lastName }}님"),
        ("Tisztelt {{ first_name }} úr!", "hu-HU", "{{ last_name }} úr"),
        ('{{ first_name | default("お客") }}様', "ja-JP", '{{ last_name | default("お客") }}様'),
    ],
)
def test_given_name_with_an_honorific_in_family_name_first_locales(
    text: str, locale: str, suggestion: str
) -> None:
    found = only(text, locale, "culture.name_order", template=True)
    assert found["suggestion"] == suggestion and locale in found["message"]


def test_name_order_is_checked_only_in_templates_and_where_it_applies() -> None:
    assert culture_check("{{ last_name }}様、こんにちは", "ja-JP", template=True) == []
    assert culture_check("{{ first_name }}様", "ja-JP") == []  # not template source
    assert culture_check("Hallo {{ first_name }},", "de-DE", template=True) == []
    assert culture_check("Chào {{ first_name }},", "vi-VN", template=True) == []
    assert culture_check("Kedves {{ first_name }}!", "hu-HU", template=True) == []


def test_template_tags_and_markup_are_not_copy() -> None:
    text = (
        '<td width="1,234.5" style="x">Hallo {{ first_name }}, {{ price | round(2) }} '
        "{% if du %}{% endif %} https://example.com/a?p=1,234.50</td>"
    )
    assert culture_check(text, "de-DE", template=True) == []


# ---------------------------------------------------------------------------- language


def test_a_text_in_another_language_is_flagged_once_and_skips_the_register() -> None:
    text = "Thank you for your order, you will love it."
    found = culture_check(text, "de-DE", language="en")
    assert [f["code"] for f in found] == ["culture.language"]
    assert found[0]["span"] == [0, len(text)] and found[0]["severity"] == "fail"
    assert "English" in found[0]["message"] and "German" in found[0]["message"]
    assert culture_check("Hei, du får rabatt.", "nb-NO", language="no") == []
    assert culture_check("Danke für Ihre Bestellung.", "de-AT", language="de") == []
    assert culture_check("Danke für Ihre Bestellung.", "de-AT", language="und") == []


# ---------------------------------------------------------------------------- correct copy


CORRECT = {
    "de-DE": "Sehr geehrte Frau Müller, vielen Dank für Ihre Bestellung vom 31.12.2026. Sie "
    "erhalten 15 % Rabatt ab 1.234,50 €. „Qualität zuerst“ ist unser Motto. Version 2.1 der "
    "App ist da – ab 18.30 Uhr.",
    "de-AT": "Sehr geehrter Herr Mag. Huber, Sie erhalten 15 % Rabatt ab € 1.234,50 bis "
    "31.12.2026.",
    "de-CH": "Grüezi Frau Meier, Sie erhalten 15 % Rabatt ab CHF 1'234.50 bis 31.12.2026. "
    "«Qualität zuerst».",
    "fr-FR": f"Madame, Monsieur, merci pour votre commande du 31/12/2026. Vous bénéficiez de "
    f"15 % de remise dès 1 234,50 €. «{NBSP}La qualité d’abord{NBSP}» est notre devise.",
    "fr-CA": "Bonjour Madame Tremblay, profitez de 15 % de rabais sur les achats de 1 234,50 $ "
    "et plus jusqu'au 2026-12-31.",
    "es-ES": "Estimado Sr. García: gracias por su pedido del 31/12/2026. Obtenga un 15 % de "
    "descuento desde 1.234,50 €. «La calidad primero».",
    "es-MX": "Hola Juan, obtén 15% de descuento en compras mayores a $1,234.50 hasta el "
    "31/12/2026.",
    "it-IT": "Gentile Signor Rossi, La ringraziamo per il Suo ordine del 31/12/2026. Riceverà "
    "uno sconto del 15% a partire da 1.234,50 €. «Qualità prima di tutto».",
    "pt-PT": "Exmo. Sr. Silva, agradecemos a sua encomenda de 31/12/2026. Beneficie de 15% de "
    "desconto a partir de 1234,50 €. «Qualidade primeiro».",
    "pt-BR": "Olá, Ana! Você ganhou 15% de desconto em compras acima de R$ 1.234,50 até "
    "31/12/2026. “Qualidade em primeiro lugar”.",
    "nl-NL": "Beste klant, je krijgt 15% korting vanaf € 1.234,50 tot 31-12-2026.",
    "nl-BE": "Geachte heer Peeters, u ontvangt 15% korting vanaf € 1.234,50 tot 31/12/2026.",
    "sv-SE": "Hej Anna! Du får 15 % rabatt på allt över 1 234,50 kr till och med 2026-12-31.",
    "da-DK": "Hej Mette, du får 15 % rabat på køb over 1.234,50 kr. til og med 31.12.2026.",
    "nb-NO": "Hei Ola, du får 15 % rabatt på kjøp over 1 234,50 kr frem til 31.12.2026.",
    "fi-FI": "Hei Matti, saat 15 %:n alennuksen yli 1 234,50 € ostoksista 31.12.2026 asti.",
    "pl-PL": "Szanowna Pani Kowalska, dziękujemy za zamówienie z 31.12.2026. Otrzyma Pani 15% "
    "rabatu od 1234,50 zł. „Jakość przede wszystkim”.",
    "cs-CZ": "Vážený pane Nováku, děkujeme za Vaši objednávku. Získáte slevu 15 % na nákupy nad "
    "1 234,50 Kč do 31. 12. 2026.",
    "ro-RO": "Stimate domnule Popescu, beneficiați de 15% reducere la cumpărături de peste "
    "1.234,50 lei până la 31.12.2026.",
    "hu-HU": "Kedves Anna! 15% kedvezmény 2026. 12. 31-ig az 1 234,50 Ft feletti vásárlásokra.",
    "el-GR": "Αγαπητέ κύριε Παπαδόπουλε, κερδίστε έκπτωση 15% για αγορές άνω των 1.234,50 € "
    "έως 31/12/2026.",
    "tr-TR": "Sayın Ayşe Yılmaz, 31.12.2026 tarihine kadar ₺1.234,50 üzeri alışverişlerde %15 "
    "indirim.",
    "ru-RU": "Уважаемая Анна Сергеевна! Благодарим вас за заказ от 31.12.2026. Вы получите "
    "скидку 15 % на покупки от 1 234,50 ₽. «Качество прежде всего».",
    "uk-UA": "Шановний пане Андрію! Дякуємо за ваше замовлення. Знижка 15 % до 31.12.2026 на "
    "покупки від 1 234,50 ₴.",
    "ar-SA": "عزيزي العميل، احصل على خصم 15% على مشترياتك حتى 31/12/2026.",
    "he-IL": "שלום דנה, קבלי 15% הנחה עד 31.12.2026 על קניות מעל 1,234.50 ₪.",
    "hi-IN": "आदरणीय ग्राहक, आपके ऑर्डर के लिए धन्यवाद। ₹1,23,456.50 तक की खरीद पर 15% छूट "
    "31/12/2026 तक।",
    "zh-CN": "尊敬的王先生，感谢您的订购！全场满¥1,234.50享85折，"
    "活动截至2026年12月31日。“品质第一”",
    "zh-TW": "親愛的王先生您好：感謝您的訂購！全館滿NT$1,234享85折，"
    "活動至2026年12月31日。「品質第一」",
    "ja-JP": "山田様、ご注文ありがとうございます。12月31日まで全品15%オフ、"
    "1,280円から。「品質第一」",
    "ko-KR": "김민수 고객님, 주문해 주셔서 감사합니다. 12월 31일까지 ₩12,000 할인 쿠폰을 드립니다. "
    "“품질 우선” 네, 맞습니다.",
    "id-ID": "Halo Budi, dapatkan diskon 15% untuk pembelian di atas Rp 1.234.500 hingga "
    "31/12/2026.",
    "vi-VN": "Kính gửi Quý khách, giảm 15% cho đơn hàng từ 1.234.500 ₫ đến 31/12/2026.",
    "th-TH": "เรียน คุณสมชาย รับส่วนลด 15% เมื่อซื้อครบ ฿1,234.50 ถึง 31/12/2026",
    "en-US": "Hi Sam, save 15% on orders over $1,234.50 until 12/31/2026. “Quality first.”",
    "en-GB": "Dear Ms Smith, save 15% on orders over £1,234.50 until 31/12/2026. ‘Quality first’.",
}


@pytest.mark.parametrize("locale", sorted(CORRECT))
def test_correct_copy_yields_nothing(locale: str) -> None:
    assert culture_check(CORRECT[locale], locale, language=locale[:2]) == []


def test_findings_are_sorted_with_code_point_spans() -> None:
    text = "🎉🎉 Hol dir 1,234.50 € – “jetzt” 👍"
    found = culture_check(text, "de-DE")
    assert [f["code"] for f in found] == [
        "culture.formality",
        "culture.number_format",
        "culture.quotation_marks",
    ]
    assert [spanned(text, f) for f in found] == ["dir", "1,234.50 €", "“jetzt”"]
    assert all(set(f) == {"code", "severity", "span", "message", "suggestion"} for f in found)


# ---------------------------------------------------------------------------- properties

LOCALES = st.sampled_from(
    ["de-DE", "fr-FR", "en-US", "ja-JP", "zh-CN", "ar-SA", "hi-IN", "pl-PL", "tr-TR", "ko-KR"]
)


def _assert_shape(text: str, found: list[dict[str, Any]]) -> None:
    starts = [f["span"][0] for f in found]
    assert starts == sorted(starts)
    for f in found:
        start, end = f["span"]
        assert 0 <= start <= end <= len(text)
        assert f["code"].startswith("culture.") and f["severity"] in ("fail", "warn", "info")
        assert isinstance(f["message"], str) and isinstance(f["suggestion"], str)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300), locale=LOCALES, template=st.booleans())
def test_any_text_returns_well_formed_findings(text: str, locale: str, template: bool) -> None:
    _assert_shape(text, culture_check(text, locale, template=template))


NUMBERISH = st.text(alphabet="0123456789.,' $€£¥%/-\u00a0\u202f„“”«»abcDUsieİSZ", max_size=60)


@settings(max_examples=200, deadline=None)
@given(text=NUMBERISH, locale=LOCALES, formality=st.sampled_from([None, "formal", "informal"]))
def test_number_like_noise_never_crashes(text: str, locale: str, formality: str | None) -> None:
    _assert_shape(text, culture_check(text, locale, formality=formality))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🎉🔥💯" * 50,
        "Hallo Привет 你好 مرحبا नमस्ते こんにちは 안녕 שלום สวัสดี 1.234,50 €",
        ("Sie erhalten 1.234,50 € bis 31.12.2026. " * 2500)[:100_000],
    ],
)
def test_edge_texts(text: str) -> None:
    for locale in ("de-DE", "ja-JP", "ar-SA"):
        _assert_shape(text, culture_check(text, locale, template=True))
    assert culture_check(text, "de-DE") == []


@pytest.mark.parametrize("tag", supported_locales())
def test_what_babel_formats_for_a_locale_is_never_flagged_there(tag: str) -> None:
    from datetime import date
    from decimal import Decimal

    from babel import Locale
    from babel.dates import format_date
    from babel.numbers import format_currency, format_decimal

    locale = Locale.parse(tag, sep="-")
    profile = locale_profile(tag)
    amounts = [
        format_currency(Decimal(v), code, locale=locale, numbering_system="latn")
        for v in ("1234.50", "12", "1234567.25")
        for code in {profile["currency"], "EUR", "USD"}
    ]
    numbers = [
        format_decimal(Decimal(v), locale=locale, numbering_system="latn")
        for v in ("1234567.891", "0.5", "12.25")
    ]
    dates = [format_date(date(2026, 12, 31), f, locale=locale) for f in ("short", "medium")]
    dates.append(format_date(date(2026, 3, 14), "short", locale=locale))
    text = " | ".join([*amounts, *numbers, *dates])
    found = [f for f in culture_check(text, tag) if f["code"] != "culture.avoid_number"]
    assert found == [], text
