"""Typed and structured contact values through the render path, and values filters cannot read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAConfig
from brandloom.templates.engine import TemplateSource, compile_template


def renderer(text: str) -> JobRenderer:
    return JobRenderer(
        templates={None: compile_template(TemplateSource({"subject": "Hallo", "text": text}))},
        weights=[],
        qa=QAConfig(),
        settings=RenderSettings(
            job_key="k",
            seed="1",
            default_locale="de-DE",
            outputs=("txt",),
            email=None,
            email_domain="example.com",
            eml_date=datetime(2026, 1, 1, tzinfo=UTC),
            keep_parts=True,
            keep_all_parts=True,
        ),
    )


def render(text: str, **attributes: Any) -> tuple[str, str, list[dict[str, str]]]:
    contact = ContactData(1, "a@example.com", "a@example.com", "de-DE", "granted", attributes)
    outcome_result = renderer(text).render_chunk([contact], include_failed=True)
    outcome = outcome_result.outcomes[0]
    return outcome_result.documents[0].parts["text"], outcome.qa_status, outcome.qa_issues


def test_typed_zero_and_false_are_values_not_empty() -> None:
    shown, status, issues = render(
        "{{ punkte }} {{ vip }} {{ umsatz }}", punkte=0, vip=False, umsatz=Decimal("0.00")
    )
    assert shown == "0 False 0.00"
    assert (status, issues) == ("pass", [])
    _, status, issues = render("{{ punkte }}", punkte="")
    assert [i["code"] for i in issues] == ["variable.empty"]


def test_unparsed_values_reach_qa_as_a_warning() -> None:
    template = "{{ umsatz | currency('EUR') }} / {{ tag | date('long') }}"
    shown, status, issues = render(template, umsatz="1.234,50", tag=date(2026, 2, 3))
    assert shown == "1.234,50 / 3. Februar 2026"
    assert status == "warn"
    assert [i["code"] for i in issues] == ["filter.unparsed_value"]
    assert "currency('1.234,50')" in issues[0]["message"]
    shown, status, issues = render(template, umsatz=Decimal("1234.50"), tag=date(2026, 2, 3))
    assert shown == "1.234,50\xa0€ / 3. Februar 2026"
    assert (status, issues) == ("pass", [])
