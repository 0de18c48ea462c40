"""The text-analysis QA checks on single documents: thresholds, masking, the shared cache."""

from __future__ import annotations

from brandloom.documents.qa import QAChecker, QAConfig, QAInput
from brandloom.documents.qa.text import MIN_LETTERS, TextChecks


def _doc(subject: str, text: str, locale: str, **personal: str) -> QAInput:
    return QAInput(
        parts={"subject": subject, "text": text},
        contact_locale=locale,
        personal={"locale": locale, **personal},
    )


def _checker(**qa: object) -> QAChecker:
    return QAChecker(QAConfig.model_validate(qa))


def _text_checks(checker: QAChecker) -> TextChecks:
    return next(c for c in checker._checks if isinstance(c, TextChecks))


ENGLISH = "Hello {name}, your order from {city} has shipped and arrives on Friday."
GERMAN = "Hallo {name}, Ihre Bestellung aus {city} wurde versandt und kommt am Freitag an."


def test_off_by_default_costs_nothing() -> None:
    assert not any(isinstance(c, TextChecks) for c in QAChecker(QAConfig())._checks)


def test_english_copy_to_a_german_contact_fails_and_german_copy_passes() -> None:
    checker = _checker(language_match=True)
    bad = checker.check(_doc("Your order", ENGLISH.format(name="Anna", city="Köln"), "de-DE"))
    assert [i.code for i in bad.issues] == ["language.mismatch"]
    assert bad.status == "fail"
    assert "text: en" in bad.issues[0].message and "(de-DE)" in bad.issues[0].message
    good = checker.check(_doc("Ihre Bestellung", GERMAN.format(name="Anna", city="Köln"), "de-DE"))
    assert good.status == "pass"


def test_short_parts_other_than_the_body_are_not_judged() -> None:
    checker = _checker(language_match=True)
    short = "Sale now on"  # English, but fewer than MIN_LETTERS letters
    assert sum(ch.isalpha() for ch in short) < MIN_LETTERS
    result = checker.check(_doc(short, GERMAN.format(name="Jo", city="Bonn"), "de-DE"))
    assert result.status == "pass"


def test_an_unsure_detection_only_warns() -> None:
    checker = _checker(language_match=True)
    # Danish copy to a Norwegian contact: close languages, a short text, an unsure call.
    result = checker.check(_doc("Tilbud", "Vi ses snart igen, tak for i dag", "nb-NO"))
    assert result.status in {"pass", "warn"}
    assert all(i.severity == "warn" for i in result.issues)


def test_documents_differing_only_in_personalization_share_one_detection() -> None:
    checker = _checker(language_match=True)
    people = [("Anna", "Köln"), ("Jürgen", "München"), ("Lena", "Hamburg"), ("Ömer", "Essen")]
    for name, city in people:
        text = GERMAN.format(name=name, city=city)
        result = checker.check(_doc("Ihre Bestellung ist unterwegs", text, "de-DE", n=name, c=city))
        assert result.status == "pass"
    # one entry for the subject, one for the body: not one per contact
    assert len(_text_checks(checker)._detections._memo) == 2


def test_the_verdict_is_kept_per_document_copy_and_locale() -> None:
    """A document whose masked copy and locale were seen gets the kept verdict (its copy is
    not read again); the same copy to a contact of another language gets its own."""
    checker = _checker(language_match=True)
    checks = _text_checks(checker)
    english = ENGLISH.format(name="Anna", city="Köln")
    first = checker.check(_doc("Your order is on its way", english, "de-DE", n="Anna", c="Köln"))
    assert [i.code for i in first.issues] == ["language.mismatch"]
    again = ENGLISH.format(name="Lena", city="Bonn")
    second = checker.check(_doc("Your order is on its way", again, "de-DE", n="Lena", c="Bonn"))
    assert second.issues == first.issues
    assert len(checks._verdicts._memo) == 1
    same_copy = checker.check(_doc("Your order is on its way", again, "en-GB", n="Lena", c="Bonn"))
    assert same_copy.status == "pass"
    assert len(checks._verdicts._memo) == 2


def test_formatted_numbers_do_not_defeat_the_cache() -> None:
    checker = _checker(language_match=True)
    for points in ("1.234", "56.789", "12"):
        text = f"Hallo, Sie haben {points} Punkte gesammelt und können sie jetzt einlösen."
        checker.check(_doc("Ihre Punkte warten auf Sie", text, "de-DE"))
    assert len(_text_checks(checker)._detections._memo) <= 4  # the digits' count may differ


def test_a_locale_the_detector_cannot_tell_is_not_judged() -> None:
    checker = _checker(language_match=True)
    result = checker.check(_doc("Hello there friends", ENGLISH.format(name="A", city="B"), "tlh"))
    assert result.status == "pass"


def test_severity_can_turn_a_code_off() -> None:
    checker = _checker(language_match=True, severity={"language.mismatch": "off"})
    result = checker.check(_doc("Your order", ENGLISH.format(name="Anna", city="Köln"), "de-DE"))
    assert "language.mismatch" not in [i.code for i in result.issues]


def test_culture_findings_are_warnings_naming_the_part() -> None:
    checker = _checker(culture=True)
    text = "Hallo Anna, hast du schon gesehen? Alles für $1,234.50."
    result = checker.check(_doc("Neu für Sie", text, "de-DE"))
    codes = {i.code for i in result.issues}
    assert "culture.formality" in codes
    assert result.status == "warn"
    assert all(i.message.startswith(("text ", "subject ")) for i in result.issues)
