"""The output-format registry: spec validation, the pipeline, file naming, sinks and media types
all read it, so a registered format is usable end to end."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from brandloom.documents.formats import (
    MEDIA_TYPES,
    FormatDefinition,
    FormatInput,
    FormatJob,
    binary_formats,
    format_names,
    get_format,
    register_format,
    registry,
)
from brandloom.documents.naming import relative_path
from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAConfig
from brandloom.documents.sinks import make_sink
from brandloom.documents.spec import SpecError, parse_spec
from brandloom.templates.engine import CompiledTemplate, TemplateSource, compile_template

SPEC = {"name": "n", "audience": {"path": "a.csv"}, "template": {"subject": "s", "text": "t"}}
TEMPLATE = compile_template(
    TemplateSource({"subject": "Hi {{ first_name }}", "text": "Hello {{ first_name }}"})
)


class VcardWriter:
    """A made-up binary format that fails documents without a name."""

    def __init__(self, job: FormatJob) -> None:
        self.prefix = job.settings.job_key.encode()

    def write(self, doc: FormatInput) -> bytes | None:
        name = doc.context.get("first_name")
        if not name:
            doc.fail("vcard.no_name", "a vCard needs a first name")
            return None
        return self.prefix + b"\x00FN:" + str(name).encode()


VCARD = FormatDefinition("vcard", "vcf", "text/vcard", ("subject",), VcardWriter, binary=True)


@pytest.fixture
def vcard() -> Iterator[None]:
    formats, media = dict(registry._formats), dict(MEDIA_TYPES)
    register_format(VCARD)
    try:
        yield
    finally:
        registry._formats.clear()
        registry._formats.update(formats)
        MEDIA_TYPES.clear()
        MEDIA_TYPES.update(media)


def _renderer(outputs: tuple[str, ...], template: CompiledTemplate = TEMPLATE) -> JobRenderer:
    return JobRenderer(
        templates={None: template},
        weights=[],
        qa=QAConfig(),
        settings=RenderSettings(
            job_key="job",
            seed="1",
            default_locale="en-US",
            outputs=outputs,
            email=None,
            email_domain="example.com",
            eml_date=datetime(2026, 1, 1, tzinfo=UTC),
            keep_parts=True,
        ),
    )


def _contact(key: str, **attributes: str) -> ContactData:
    return ContactData(1, key, None, None, "granted", attributes)


def test_builtin_formats() -> None:
    assert format_names() == ("html", "txt", "md", "sms", "eml", "pdf", "docx")
    assert {name: get_format(name).extension for name in format_names()} == {
        "html": "html", "txt": "txt", "md": "md", "sms": "txt", "eml": "eml", "pdf": "pdf",
        "docx": "docx",
    }  # fmt: skip
    assert MEDIA_TYPES["sms"] == "text/plain; charset=utf-8"
    assert MEDIA_TYPES["eml"] == "message/rfc822"
    assert binary_formats() == {"pdf", "docx"}
    assert relative_path("sms", "ann") == "sms/ann.txt"
    with pytest.raises(ValueError, match=r"unknown output format 'fax'; choose from \['html'"):
        get_format("fax")
    with pytest.raises(ValueError, match="already registered"):
        register_format(get_format("html"))


def test_unknown_output_format_names_the_registered_ones() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec({**SPEC, "outputs": ["html", "vcard"]})
    assert str(info.value) == (
        "spec: outputs: unknown format(s) ['vcard']; "
        "choose from ['html', 'txt', 'md', 'sms', 'eml', 'pdf', 'docx']"
    )
    with pytest.raises(ValueError, match="unknown output format 'vcard'"):
        _renderer(("vcard",))


@pytest.mark.usefixtures("vcard")
def test_registered_format_is_valid_written_named_and_typed(tmp_path: Path) -> None:
    assert parse_spec({**SPEC, "outputs": ["txt", "vcard"]}).outputs == ["txt", "vcard"]
    with pytest.raises(SpecError, match=r"choose from \[.*'docx', 'vcard'\]"):
        parse_spec({**SPEC, "outputs": ["fax"]})
    assert MEDIA_TYPES["vcard"] == "text/vcard"
    assert "vcard" in binary_formats()

    result = _renderer(("txt", "vcard")).render_chunk([_contact("ann", first_name="Ann")])
    (doc,) = result.documents
    assert doc.files == {
        "txt": ("txt/ann.txt", b"Hello Ann"),
        "vcard": ("vcard/ann.vcf", b"job\x00FN:Ann"),
    }
    assert result.by_format == {"txt": 1, "vcard": 1}

    # Its failures fail the document like any QA issue.
    failed = _renderer(("txt", "vcard")).render_chunk([_contact("bob", first_name="")])
    assert failed.documents == []
    assert failed.outcomes[0].qa_status == "fail"
    assert failed.outcomes[0].qa_issues[-1] == {
        "code": "vcard.no_name",
        "severity": "fail",
        "message": "a vCard needs a first name",
    }

    # The JSONL sink base64-encodes it, as any binary format.
    sink = make_sink("jsonl", tmp_path, ["txt", "vcard"])
    sink.write_chunk(0, result.documents)
    sink.finalize(1)
    (line,) = (tmp_path / "documents.jsonl").read_bytes().splitlines()
    formats = orjson.loads(line)["formats"]
    assert formats == {"txt": "Hello Ann", "vcard": base64.b64encode(b"job\x00FN:Ann").decode()}


def test_only_the_parts_the_outputs_are_made_of_are_rendered() -> None:
    # Each format declares its parts; a part no output needs is never rendered.
    template = compile_template(
        TemplateSource({"subject": "s", "text": "ok", "sms": "{{ 1 // n }}"})
    )
    for outputs, status in ((("txt",), "pass"), (("txt", "sms"), "fail")):
        result = _renderer(outputs, template).render_chunk([_contact("ann", n="0")])
        assert result.outcomes[0].qa_status == status, outputs
