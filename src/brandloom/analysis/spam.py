"""How much an e-mail reads like spam: a probability from its subject and body text.

The model is a TF-IDF (word and character n-grams) logistic regression trained on the
SpamAssassin public corpus (2002-2003 mail). It reads only what a reader reads, the subject and
the body text (plain parts, or the text of HTML parts when a message has no plain part), never
the headers: relays, dates and mailer names describe the collection period, not the message.

A high score means "reads like 2002 spam" (lottery wins, mortgage rates, pills, "click here to be
removed"), not "will be filtered": the corpus holds no modern marketing mail, so legitimate
promotional copy can score high. See the model card for what 0.5 means in measured precision and
recall.

Nothing is read at import time: ``SpamModel.load()`` opens the artifact on first use and keeps it.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from email.message import EmailMessage, Message
from typing import Any

import numpy as np

from brandloom.analysis import artifacts
from brandloom.analysis.features import LinearModel, sigmoid
from brandloom.kit.text import strip_html

NAME = "spam.spamassassin.v1"

# A longer body is judged on its beginning: spam says what it sells early, and this bounds the
# cost of one prediction.
MAX_BODY_CHARS = 20_000


def document_text(subject: str | None, body: str) -> str:
    """The text the model reads: the subject, a newline, then the body (cut at 20,000 chars)."""
    return f"{(subject or '').strip()}\n{body[:MAX_BODY_CHARS]}"


def message_text(raw: str) -> str:
    """Subject and body text of a raw RFC-822 message, joined as ``document_text`` does.

    The body is the message's ``text/plain`` parts; when it has none, the text of its
    ``text/html`` parts. Attachments are skipped; unknown or wrong charsets are decoded leniently.
    """
    message = email.message_from_string(raw, policy=email.policy.default)
    subject = _header(message, "subject")
    plain: list[str] = []
    html: list[str] = []
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain":
            plain.append(_part_text(part))
        elif content_type == "text/html":
            html.append(strip_html(_part_text(part)))
    body = "\n".join(plain) if plain else "\n".join(html)
    return document_text(subject, body)


def _header(message: Message, name: str) -> str:
    try:
        value: object = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        # A header the parser cannot fold: fall back to its raw text.
        value = next((raw for key, raw in message.raw_items() if key.lower() == name), None)
    return " ".join(str(value).split()) if value is not None else ""


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except (ValueError, TypeError, IndexError):
        return False
    return disposition == "attachment"


def _part_text(part: Message) -> str:
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
        except (LookupError, ValueError, TypeError, AssertionError, IndexError):
            content = None
        if isinstance(content, str):
            return content
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload()) if isinstance(part.get_payload(), str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset name Python does not know
        return payload.decode("latin-1")


class SpamModel:
    """P(spam) of an e-mail's ``document_text``, from a TF-IDF logistic regression."""

    linear_: LinearModel
    meta_: dict[str, Any]

    @classmethod
    def from_artifact(cls, artifact: artifacts.Artifact, prefix: str = "spam") -> SpamModel:
        """Rebuild from the ``.npz`` state."""
        model = cls()
        model.linear_ = LinearModel.from_state(artifact.meta["linear"], artifact.arrays, prefix)
        model.meta_ = artifact.meta
        if model.linear_.coef_.shape[1] != 1:
            raise artifacts.ArtifactError(f"{artifact.name}: expected one output column")
        return model

    @classmethod
    def load(cls) -> SpamModel:
        """The shipped model, opened once per process."""
        return artifacts.opened_once(NAME, lambda: cls.from_artifact(artifacts.load(NAME)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts),)`` probabilities of spam in [0, 1]; each text is ``document_text``'s
        join of a subject and a body (or ``message_text`` of a raw message)."""
        texts = [text[: MAX_BODY_CHARS + 2_000] for text in texts]
        if not texts:
            return np.zeros(0, dtype=np.float64)
        return sigmoid(self.linear_.decision_function(texts)[:, 0])
