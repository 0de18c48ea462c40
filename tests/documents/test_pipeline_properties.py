"""Property tests of the whole render path: arbitrary contact data never breaks a document."""

from __future__ import annotations

import email
import email.policy
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.documents.formats.eml import EmailSettings
from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAConfig
from brandloom.templates.engine import TemplateSource, compile_template

TEMPLATE = compile_template(
    TemplateSource(
        {
            "subject": "Hi {{ first_name | default('there') }}",
            "preheader": "{{ note }}",
            "html": "<html><head><style>p{color:red}</style></head><body>"
            '<p>Hello {{ first_name }}</p><p title="{{ note }}">{{ note }}</p></body></html>',
            "sms": "{{ first_name }}: {{ note }}",
        }
    )
)
RENDERER = JobRenderer(
    templates={None: TEMPLATE},
    weights=[],
    qa=QAConfig(),
    settings=RenderSettings(
        job_key="k",
        seed="1",
        default_locale="en-US",
        outputs=("html", "txt", "md", "sms", "eml", "docx"),
        email=EmailSettings(from_addr="news@example.com"),
        email_domain="example.com",
        eml_date=datetime(2026, 1, 1, tzinfo=UTC),
        keep_parts=True,
    ),
)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._open = True
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.items[-1] += data


def _paragraphs(html: str) -> list[str]:
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    return parser.items


@settings(max_examples=150, deadline=None)
@given(first_name=text, note=text, locale=st.sampled_from(["en-US", "ar-SA", "zh-CN", "xx", ""]))
def test_arbitrary_contact_data_renders_and_is_escaped(
    first_name: str, note: str, locale: str
) -> None:
    contact = ContactData(
        row=1,
        key="k1",
        email="someone@example.com",
        locale=locale or None,
        consent="granted",
        attributes={"first_name": first_name, "note": note},
    )
    result = RENDERER.render_chunk([contact], include_failed=True)
    outcome = result.outcomes[0]
    assert outcome.qa_status in {"pass", "warn", "fail"}
    files = result.documents[0].files if result.documents else {}
    if "html" in files:
        html = files["html"][1].decode("utf-8")
        if not any(unicodedata.category(c) == "Cc" for c in first_name + note):
            # Escaped correctly means a real HTML parser reads back exactly the contact's text.
            assert _paragraphs(html) == [f"Hello {first_name}", note]
    if "eml" in files:
        message = email.message_from_bytes(files["eml"][1], policy=email.policy.default)
        assert message["To"] is not None
        assert set(message.keys()) >= {"From", "To", "Subject", "Date", "Message-ID"}
        assert "Bcc" not in message
