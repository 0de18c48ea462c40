"""Spam score of e-mail text: real-looking mail, message parsing, shapes, offline loading."""

from __future__ import annotations

from email.message import EmailMessage

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandloom.analysis import artifacts
from brandloom.analysis.spam import (
    MAX_BODY_CHARS,
    NAME,
    SpamModel,
    document_text,
    message_text,
)
from tests.analysis.offline import run_offline

SPAM = [
    (
        "URGENT: You have WON $1,000,000!!!",
        "Dear Friend,\n\nCONGRATULATIONS! Your email address was selected in our international "
        "lottery. To claim your cash prize send your name, address and bank account number to "
        "our claims agent TODAY. This is a limited time offer.\n\nTo be removed from our mailing "
        "list click here and reply with REMOVE in the subject line.",
    ),
    (
        "Lowest mortgage rates - refinance now",
        "Are you paying too much for your home loan? Rates are at their lowest in 40 years! "
        "Get a FREE no-obligation quote in minutes. Click here to apply now. Bad credit OK. "
        "You are receiving this message because you opted in. To unsubscribe click here.",
    ),
    (
        "Make money fast from home $$$",
        "Earn $5,000 a week working from home! No experience needed, 100% GUARANTEED. "
        "Order now and receive our FREE report. Act now, this offer expires soon!!! "
        "Call toll free 1-800-555-0199.",
    ),
]

HAM = [
    (
        "Re: patch for the razor plugin",
        "On Tue, Tim wrote:\n> the test suite fails on perl 5.6\n\nI committed a fix to CVS "
        "last night; the regression was in the header parser. Can you run make test again "
        "and tell me if it still breaks on your box? Thanks,\nJustin",
    ),
    (
        "Re: [ILUG] kernel upgrade on the old laptop",
        "I had the same problem with the 2.4.18 kernel and the pcmcia modules. Rebuild the "
        "modules against the new source tree, then run depmod -a and reboot. Worked for me "
        "on Red Hat 7.3.",
    ),
    (
        "Meeting notes",
        "Hi all, the notes from Thursday's meeting are in the shared folder. We agreed to "
        "move the release to next Wednesday so that the documentation can be reviewed. "
        "Cheers, Sarah",
    ),
]


@pytest.fixture(scope="module")
def model() -> SpamModel:
    return SpamModel.load()


def test_load_is_cached(model: SpamModel) -> None:
    assert SpamModel.load() is model


@pytest.mark.parametrize(("subject", "body"), SPAM)
def test_spam_scores_high(model: SpamModel, subject: str, body: str) -> None:
    assert model.predict_proba([document_text(subject, body)])[0] > 0.5


@pytest.mark.parametrize(("subject", "body"), HAM)
def test_ham_scores_low(model: SpamModel, subject: str, body: str) -> None:
    assert model.predict_proba([document_text(subject, body)])[0] < 0.5


def test_spam_outranks_ham_on_average(model: SpamModel) -> None:
    spam = model.predict_proba([document_text(s, b) for s, b in SPAM])
    ham = model.predict_proba([document_text(s, b) for s, b in HAM])
    assert spam.min() > ham.max()


def test_document_text_joins_subject_and_body() -> None:
    assert document_text("Hello", "Body") == "Hello\nBody"
    assert document_text(None, "Body") == "\nBody"
    assert document_text("  Hi  ", "") == "Hi\n"
    assert len(document_text("s", "x" * (MAX_BODY_CHARS + 500))) == 2 + MAX_BODY_CHARS


def _multipart() -> str:
    message = EmailMessage()
    message["Subject"] = "Weekly update"
    message["From"] = "a@example.com"
    message.set_content("Plain body with the news.")
    message.add_alternative("<html><body><p>HTML <b>body</b></p></body></html>", subtype="html")
    message.add_attachment(b"%PDF-1.4 secret", maintype="application", subtype="pdf")
    return message.as_string()


def test_message_text_prefers_plain_parts_and_skips_attachments() -> None:
    text = message_text(_multipart())
    assert text.startswith("Weekly update\n")
    assert "Plain body with the news." in text
    assert "HTML" not in text
    assert "PDF" not in text


def test_message_text_reads_html_only_mail_as_text() -> None:
    message = EmailMessage()
    message["Subject"] = "=?utf-8?q?Gr=C3=BC=C3=9Fe?="
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Caf&eacute; "
        "<a href='http://x'>click</a></p></body></html>",
        subtype="html",
    )
    text = message_text(message.as_string())
    subject, body = text.split("\n", 1)
    assert subject == "Grüße"
    assert "Café" in body and "click" in body
    assert "<" not in body and "color" not in body


def test_message_text_decodes_defensively() -> None:
    raw = (
        "Subject: Offre =?unknown-8bit?q?sp=E9ciale?=\n"
        "Content-Type: text/plain; charset=x-no-such-charset\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "Prix r=E9duit aujourd'hui\n"
    )
    text = message_text(raw)
    assert text.startswith("Offre")
    assert "Prix r" in text and "duit aujourd'hui" in text


def test_message_text_of_plain_headerless_text() -> None:
    assert message_text("just a line of text") == "\njust a line of text"
    assert message_text("") == "\n"


def test_raw_message_scores_like_its_text(model: SpamModel) -> None:
    subject, body = SPAM[0]
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content(body)
    from_raw = model.predict_proba([message_text(message.as_string())])[0]
    direct = model.predict_proba([document_text(subject, body)])[0]
    assert from_raw == pytest.approx(direct, abs=1e-6)


def test_empty_batch(model: SpamModel) -> None:
    assert model.predict_proba([]).shape == (0,)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=300), max_size=4))
def test_any_text_gives_a_probability(texts: list[str]) -> None:
    proba = SpamModel.load().predict_proba(texts)
    assert proba.shape == (len(texts),)
    assert np.all((proba >= 0) & (proba <= 1))


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=2_000))
def test_any_raw_message_parses(raw: str) -> None:
    text = message_text(raw)
    assert "\n" in text


def test_edge_texts(model: SpamModel) -> None:
    texts = ["", "\n", "🎉🎉🎉 💰💰", "FREE 免费 бесплатно مجاني", "x" * 100_000]
    proba = model.predict_proba(texts)
    assert proba.shape == (5,)
    assert np.all(np.isfinite(proba))


def test_loads_offline_without_scikit_learn() -> None:
    code = """
        from brandloom.analysis.spam import SpamModel, document_text

        text = document_text("You WON a FREE prize", "Click here to claim your cash now!!!")
        print(round(float(SpamModel.load().predict_proba([text])[0]), 3))
    """
    assert float(run_offline(code, blocked=("sklearn", "scipy"))) > 0.5


def test_shipped_files_are_small() -> None:
    assert artifacts.artifact_path(NAME).stat().st_size < 2_000_000
    card = artifacts.artifact_path(NAME, ".md").read_text(encoding="utf-8")
    assert "python scripts/train/spam.py" in card and "2002" in card
