"""unsubscribe.missing: a bulk e-mail needs an unsubscribe header or link."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from brandloom.documents.formats.eml import EmailSettings
from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAChecker, QAConfig, QAInput, QAJob
from brandloom.documents.qa.unsubscribe import load_unsubscribe_words
from brandloom.templates.engine import TemplateSource, compile_template

CONFIG = QAConfig(subject_required=False, spam_threshold=100)
NO_LINK = '<p>Hello</p><a href="https://shop.example.com/">Shop</a>'
URL = "https://shop.example.com/u?c=42"


def issues(
    html: str | None,
    *,
    outputs: tuple[str, ...],
    url: str | None = None,
    mailto: bool = False,
    locale: str | None = None,
    text: str = "Hello",
    config: QAConfig = CONFIG,
) -> list[tuple[str, str]]:
    parts = {"text": text}
    if html is not None:
        parts["html"] = html
    if url is not None:
        parts["unsubscribe_url"] = url
    checker = QAChecker(config, QAJob(outputs=outputs, unsubscribe_mailto=mailto))
    result = checker.check(QAInput(parts=parts, locales=(locale,) if locale else ()))
    return [(i.code, i.severity) for i in result.issues]


def test_fails_for_eml_and_warns_for_html_without_a_way_to_unsubscribe() -> None:
    assert issues(NO_LINK, outputs=("eml",)) == [("unsubscribe.missing", "fail")]
    assert issues(NO_LINK, outputs=("html", "txt")) == [("unsubscribe.missing", "warn")]
    assert issues(NO_LINK, outputs=("html", "eml")) == [("unsubscribe.missing", "fail")]
    assert issues(NO_LINK, outputs=("txt", "pdf")) == []  # no e-mail written
    assert issues(NO_LINK, outputs=()) == []


def test_a_list_unsubscribe_header_satisfies_eml_only() -> None:
    assert issues(NO_LINK, outputs=("eml",), url=URL) == []
    assert issues(NO_LINK, outputs=("eml",), mailto=True) == []
    # An html file carries no header: its links must do.
    assert issues(NO_LINK, outputs=("html",), url=URL) == [("unsubscribe.missing", "warn")]
    assert issues(NO_LINK, outputs=("html",), mailto=True) == [("unsubscribe.missing", "warn")]
    # A URL that renders empty for this contact makes no header.
    assert issues(NO_LINK, outputs=("eml",), url=" ") == [("unsubscribe.missing", "fail")]


def test_a_link_to_the_rendered_unsubscribe_url_satisfies() -> None:
    html = f'{NO_LINK}<a href="{URL}">Manage your e-mails</a>'
    assert issues(html, outputs=("html",), url=URL) == []
    assert issues(html, outputs=("html",), url="https://shop.example.com/u?c=43") == [
        ("unsubscribe.missing", "warn")
    ]


@pytest.mark.parametrize(
    ("link", "locale"),
    [
        ('<a href="https://shop.example.com/x">Unsubscribe</a>', "en-US"),
        ('<a href="https://shop.example.com/x">Newsletter ABMELDEN</a>', "de-DE"),
        ('<a href="https://shop.example.com/x">Se\n  désabonner</a>', "fr"),
        ('<a href="https://shop.example.com/x">darse de baja</a>', "es"),
        ('<a href="https://shop.example.com/x">Cancelar inscrição</a>', "pt-BR"),
        ('<a href="https://shop.example.com/x">Annulla l’iscrizione</a>', "it"),
        ('<a href="https://shop.example.com/x">配信停止</a>', "ja"),
        ('<a href="https://shop.example.com/x">取消订阅</a>', "zh-CN"),
        ('<a href="https://shop.example.com/x">إلغاء الاشتراك</a>', "ar"),
        ('<a href="https://shop.example.com/unsubscribe?c=1">Click here</a>', "en"),
        ('<a href="https://shop.example.com/d%C3%A9sabonner">ici</a>', "fr"),
        # Any language's word counts: a German newsletter may say "Unsubscribe".
        ('<a href="https://shop.example.com/x">Unsubscribe</a>', "de-AT"),
    ],
)
def test_a_link_saying_unsubscribe_satisfies(link: str, locale: str) -> None:
    assert issues(NO_LINK + link, outputs=("eml",), locale=locale) == []


def test_words_that_are_no_link_do_not_count() -> None:
    for html in (
        f"{NO_LINK}<p>To unsubscribe, reply STOP.</p>",
        f'{NO_LINK}<!-- <a href="https://shop.example.com/unsubscribe">Unsubscribe</a> -->',
        f'{NO_LINK}<span data-href="https://shop.example.com/unsubscribe">x</span>',
    ):
        assert issues(html, outputs=("eml",)) == [("unsubscribe.missing", "fail")]


def test_a_text_only_email_is_searched_for_the_url_or_a_word() -> None:
    assert issues(None, outputs=("eml",), text="Hi") == [("unsubscribe.missing", "fail")]
    assert issues(None, outputs=("html",), text="Abmelden: https://x.example/a") == []
    assert issues(None, outputs=("html",), url=URL, text=f"Bye: {URL}") == []


def test_the_message_suggests_the_contacts_word() -> None:
    checker = QAChecker(CONFIG, QAJob(outputs=("eml",)))
    result = checker.check(QAInput(parts={"html": NO_LINK}, locales=("de-DE", "de")))
    message = result.issues[0].message
    assert "'abmelden'" in message and "'unsubscribe'" in message
    assert "List-Unsubscribe" in message


def test_severity_and_extra_words() -> None:
    off = QAConfig(subject_required=False, severity={"unsubscribe.missing": "off"})
    assert issues(NO_LINK, outputs=("eml",), config=off) == []
    warn = QAConfig(subject_required=False, severity={"unsubscribe.missing": "warn"})
    assert issues(NO_LINK, outputs=("eml",), config=warn) == [("unsubscribe.missing", "warn")]
    words = QAConfig(subject_required=False, unsubscribe={"words": {"en": ["Manage  E-mails"]}})
    html = f'{NO_LINK}<a href="https://shop.example.com/p">manage e-mails</a>'
    assert issues(html, outputs=("eml",), config=words) == []
    assert issues(html, outputs=("eml",)) == [("unsubscribe.missing", "fail")]


def test_the_shipped_words_cover_the_common_languages() -> None:
    words = load_unsubscribe_words()
    for language in ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "fi", "cs",
                     "ro", "hu", "el", "ja", "zh", "ar"):  # fmt: skip
        assert words[language], language
    assert "désabonner" in words["fr"] and "darse de baja" in words["es"]


def _renderer(outputs: tuple[str, ...], parts: dict[str, str], mailto: str | None) -> JobRenderer:
    return JobRenderer(
        templates={None: compile_template(TemplateSource(parts))},
        weights=[],
        qa=CONFIG,
        settings=RenderSettings(
            job_key="k",
            seed="1",
            default_locale="en-US",
            outputs=outputs,
            email=EmailSettings(from_addr="news@example.com", unsubscribe_mailto=mailto),
            email_domain="example.com",
            eml_date=datetime(2026, 1, 1, tzinfo=UTC),
            keep_parts=False,
        ),
    )


CONTACT = ContactData(2, "ann", "ann@example.com", "de-DE", "granted", {"cid": "42"})


def test_jobs_judge_by_their_outputs_and_email_settings() -> None:
    target = "https://shop.example.com/u?c={{ cid }}"
    html = f'<p>Hallo</p><a href="{target}">Einstellungen</a>'
    with_url = {"subject": "Hi", "html": html, "unsubscribe_url": target}
    without = {"subject": "Hi", "html": html}
    # The rendered unsubscribe URL is the link's target: satisfied, for html too.
    outcome = _renderer(("html",), with_url, None).render_chunk([CONTACT]).outcomes[0]
    assert outcome.qa_status == "pass"
    outcome = _renderer(("html",), without, None).render_chunk([CONTACT]).outcomes[0]
    assert [i["code"] for i in outcome.qa_issues] == ["unsubscribe.missing"]
    assert outcome.qa_status == "warn"
    outcome = _renderer(("eml",), without, None).render_chunk([CONTACT]).outcomes[0]
    assert outcome.qa_status == "fail"
    # unsubscribe_mailto alone: every message gets a List-Unsubscribe header.
    result = _renderer(("eml",), without, "bye@example.com").render_chunk([CONTACT])
    assert result.outcomes[0].qa_status == "pass"
    message = email.message_from_bytes(
        result.documents[0].files["eml"][1], policy=email.policy.default
    )
    assert message["List-Unsubscribe"] == "<mailto:bye@example.com>"
