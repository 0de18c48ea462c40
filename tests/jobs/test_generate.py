"""End-to-end generate on a real database: outputs, manifest, report, rejects, determinism."""

from __future__ import annotations

import csv
import email
import email.policy
import email.utils
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli.generate import generate
from brandloom.errors import BrandloomError
from brandloom.jobs.models import Job
from tests.factories import contacts, tree_bytes, write_csv, write_spec

# These tests call the CLI flows directly: the CLI creates `default` when it sets up.
pytestmark = pytest.mark.usefixtures("default_workspace")


def _run(factory: sessionmaker[Session], url: str, spec: Path, out: Path, **kw: object):
    return generate(
        factory,
        database_url=url,
        workspace_name=None,
        spec_path=spec,
        out_dir=out,
        workers=kw.pop("workers", 1),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_generate_writes_every_format_manifest_report_and_rejects(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    rows = contacts(120)
    rows.append(["bad-email", "Bad", "X", "en-US", "yes"])
    rows.append(["USER000001@example.com", "Dupe", "X", "en-US", "yes"])
    rows.append(["=cmd@example.com", "<script>alert(1)</script>", "{{ 7*7 }}", "en-US", "perhaps"])
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", rows)
    spec = write_spec(tmp_path / "in")
    out = tmp_path / "out"

    result = _run(factory, database_url, spec, out)

    report = json.loads((out / "report.json").read_text())
    assert report["rows_read"] == 123
    assert report["accepted"] == 120
    assert report["rejected"] == 3
    assert report["documents"] == {"html": 120, "txt": 120, "md": 120, "eml": 120}
    assert report["qa"]["passed"] + report["qa"]["warned"] + report["qa"]["failed"] == 120
    assert report["docs_per_minute"] > 0
    assert result.report == report

    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["row"] for m in manifest] == sorted(m["row"] for m in manifest)
    assert len(manifest) == 120 and len({m["key"] for m in manifest}) == 120
    assert {m["variant"] for m in manifest} == {"A", "B"}
    for entry in manifest:
        for fmt, rel in entry["files"].items():
            assert (out / rel).is_file(), (fmt, rel)

    with (out / "rejected.csv").open(encoding="utf-8-sig") as fh:
        rejected = list(csv.reader(fh))
    assert rejected[0][:2] == ["row", "reason"]
    assert [r[0] for r in rejected[1:]] == ["121", "122", "123"]

    first = out / manifest[0]["files"]["html"]
    html = first.read_text(encoding="utf-8")
    assert 'style="' in html and "utm_campaign=spring" in html
    msg = email.message_from_bytes(
        (out / manifest[0]["files"]["eml"]).read_bytes(), policy=email.policy.default
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"


def test_contact_data_is_data(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(
        tmp_path / "in" / "contacts.csv",
        [["eve@example.com", "<b>Eve</b>", "{{ 7*7 }}", "en-US", "yes"]],
    )
    spec = write_spec(tmp_path / "in", variants=[])
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    html = (out / "html" / "eve@example.com.html").read_text(encoding="utf-8")
    assert "<b>Eve</b>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html
    text = (out / "txt" / "eve@example.com.txt").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in text


@pytest.mark.parametrize("sink", ["dir", "zip", "jsonl"])
def test_same_inputs_and_seed_give_byte_identical_outputs(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path, sink: str
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(230))
    spec = write_spec(tmp_path / "in", sink=sink)
    _run(factory, database_url, spec, tmp_path / "a", workers=1)
    _run(factory, database_url, spec, tmp_path / "b", workers=2)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert a and a == b
    if sink == "jsonl":
        lines = (tmp_path / "a" / "documents.jsonl").read_text().splitlines()
        assert len(lines) == 230
        assert set(json.loads(lines[0])["formats"]) == {"html", "txt", "md", "eml"}


def test_qa_failures_stay_in_manifest_but_are_not_written(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    rows = contacts(10)
    rows[3][4] = "no"  # consent denied
    write_csv(tmp_path / "in" / "contacts.csv", rows)
    spec = write_spec(tmp_path / "in", qa={"require_consent": True})
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    failed = [m for m in manifest if m["qa"]["status"] == "fail"]
    assert len(failed) == 1 and failed[0]["key"] == "user000003@example.com"
    assert failed[0]["files"] == {}
    assert "consent.missing" in {i["code"] for i in failed[0]["qa"]["issues"]}
    assert not (out / "html" / "user000003@example.com.html").exists()
    report = json.loads((out / "report.json").read_text())
    assert report["qa"]["failed"] == 1 and report["documents"]["html"] == 9


def test_unknown_variable_without_fallback_stops_before_any_output(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(5))
    spec = write_spec(
        tmp_path / "in",
        template={"subject": "Hi {{ nickname }}", "html": "email.html"},
        variants=[],
    )
    out = tmp_path / "out"
    with pytest.raises(BrandloomError) as info:
        _run(factory, database_url, spec, out)
    assert info.value.code == "template.unknown_variable"
    assert "nickname" in info.value.message
    assert not out.exists() or not any(out.iterdir())


def test_refuses_a_non_empty_foreign_output_folder(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(5))
    spec = write_spec(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(BrandloomError) as info:
        _run(factory, database_url, spec, out)
    assert info.value.code == "job.out_dir_not_empty"
    assert (out / "precious.txt").read_text() == "keep me"


def test_a_finished_folder_is_refused_and_force_replaces_its_outputs(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(20))
    spec = write_spec(tmp_path / "in")
    out = tmp_path / "out"
    first = _run(factory, database_url, spec, out)
    before = tree_bytes(out)

    with pytest.raises(BrandloomError) as info:
        _run(factory, database_url, spec, out)
    assert info.value.code == "job.out_dir_has_outputs"
    assert str(out) in info.value.message and first.job_id in info.value.message
    assert "--force" in info.value.message and "another --out" in info.value.message
    assert tree_bytes(out) == before  # nothing touched

    write_csv(tmp_path / "in" / "contacts.csv", contacts(5))  # fewer contacts this time
    second = _run(factory, database_url, spec, out, force=True)
    assert second.job_id != first.job_id
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 5
    assert len(list((out / "html").iterdir())) == 5  # the old run's 15 others were deleted


def test_an_unfinished_folder_needs_resume_or_force(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(60))
    spec = write_spec(tmp_path / "in", chunk_size=10)
    out = tmp_path / "out"

    def interrupt(_: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(factory, database_url, spec, out, on_progress=interrupt)
    with pytest.raises(BrandloomError) as info:
        _run(factory, database_url, spec, out)
    assert info.value.code == "job.unfinished"
    assert "--resume" in info.value.message and "--force" in info.value.message
    with pytest.raises(BrandloomError, match="not both"):
        _run(factory, database_url, spec, out, resume=True, force=True)

    fresh = _run(factory, database_url, spec, out, force=True)
    assert fresh.report["accepted"] == 60
    with factory() as session:
        states = {row.id: row.state for row in session.execute(select(Job.id, Job.state))}
    assert states.pop(fresh.job_id) == "done"
    assert list(states.values()) == ["cancelled"]  # the interrupted job cannot be resumed


def test_a_contact_that_breaks_the_template_fails_alone(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    rows = contacts(6)  # the city column becomes a divisor; contact 2's is zero
    write_csv(
        tmp_path / "in" / "contacts.csv",
        [[*r[:2], str(i + 1) if i != 2 else "0", *r[3:]] for i, r in enumerate(rows)],
    )
    spec = write_spec(
        tmp_path / "in",
        template={"subject": "Share: {{ 100 // (city | int) }}", "text": "Hello"},
        variants=[],
        outputs=["txt"],
    )
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    statuses = {m["key"]: m["qa"]["status"] for m in manifest}
    assert statuses.pop("user000002@example.com") == "fail"
    assert set(statuses.values()) <= {"pass", "warn"} and len(statuses) == 5
    broken = next(m for m in manifest if m["key"] == "user000002@example.com")
    assert broken["qa"]["issues"][0]["code"] == "template.render_error"


def test_docx_from_the_document_and_from_a_word_template(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    docx = pytest.importorskip("docx")
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "contacts.csv", contacts(12))
    generated = write_spec(folder, outputs=["docx"], variants=[])
    _run(factory, database_url, generated, tmp_path / "generated")
    manifest = [
        json.loads(line)
        for line in (tmp_path / "generated" / "manifest.jsonl").read_text().splitlines()
    ]
    first = docx.Document(str(tmp_path / "generated" / manifest[0]["files"]["docx"]))
    assert "Hello Name0" in "\n".join(p.text for p in first.paragraphs)

    letter = docx.Document()
    letter.add_paragraph("Dear {{ first_name }},")
    letter.add_paragraph("{% if city %}We have news for {{ city }}.{% endif %}")
    letter.save(str(folder / "letter.docx"))
    templated = write_spec(
        folder,
        outputs=["docx"],
        variants=[],
        template={"subject": "Letter", "text": "x", "docx": "letter.docx"},
    )
    _run(factory, database_url, templated, tmp_path / "templated")
    out = docx.Document(str(tmp_path / "templated" / "docx" / "user000005@example.com.docx"))
    texts = [p.text for p in out.paragraphs]
    assert texts[:2] == ["Dear Name5,", "We have news for City5."]
    # dated by email.date like every other output, not by the clock of the rendering process
    with zipfile.ZipFile(tmp_path / "templated" / "docx" / "user000005@example.com.docx") as z:
        assert ">2026-03-01T10:00:00Z</dcterms:created>" in z.read("docProps/core.xml").decode()

    broken = write_spec(
        folder,
        outputs=["docx"],
        variants=[],
        template={"subject": "Letter", "text": "x", "docx": "missing.docx"},
    )
    with pytest.raises(BrandloomError) as info:
        _run(factory, database_url, broken, tmp_path / "broken")
    assert "missing.docx" in info.value.message


def test_pdf_output_embeds_fonts_and_shapes_every_script(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    pypdf = pytest.importorskip("pypdf")
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(
        folder / "contacts.csv",
        [
            ["ann@example.com", "Jürgen", "Berlin", "de-DE", "yes"],
            ["li@example.com", "王芳", "上海", "zh-CN", "yes"],
            ["sara@example.com", "فاطمة", "الرياض", "ar-SA", "yes"],
        ],
    )
    spec = write_spec(folder, outputs=["pdf"], variants=[])
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    for key, name in [
        ("ann@example.com", "Jürgen"),
        ("li@example.com", "王芳"),
        ("sara@example.com", "فاطمة"),
    ]:
        reader = pypdf.PdfReader(str(out / "pdf" / f"{key}.pdf"))
        text = "".join(page.extract_text() for page in reader.pages)
        assert name in text or name[::-1] in text, (key, text[:200])
    again = tmp_path / "again"
    _run(factory, database_url, spec, again)
    assert (out / "pdf" / "li@example.com.pdf").read_bytes() == (
        again / "pdf" / "li@example.com.pdf"
    ).read_bytes()


def test_rejects_of_a_european_spreadsheet_open_in_excel_as_they_came(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    # What Excel on a German Windows saves as "CSV": cp1252, semicolons, decimal commas.
    (tmp_path / "in" / "contacts.csv").write_bytes(
        "email;first_name;city;locale;consent\r\n"
        "ann@example.com;Ann;Köln;de-DE;yes\r\n"
        "jörg-at-example;Jörg;Düsseldorf;de-DE;yes\r\n"
        '=1+2;=HYPERLINK("x");1,5;de-DE;yes\r\n'.encode("cp1252")
    )
    spec = write_spec(tmp_path / "in", variants=[], outputs=["html"])
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    raw = (out / "rejected.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not its ANSI page
    lines = raw[3:].decode("utf-8").splitlines()
    assert lines[0] == "row;reason;email;first_name;city;locale;consent"
    assert lines[1].endswith(";jörg-at-example;Jörg;Düsseldorf;de-DE;yes")
    # formulas still neutralized; a decimal comma is no separator here
    assert lines[2] == (
        "3;invalid email in column 'email': '=1+2' (it has no '@');'=1+2;"
        '"\'=HYPERLINK(""x"")";1,5;de-DE;yes'
    )


def test_without_email_date_outputs_are_dated_when_the_job_was_created(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    audience = tmp_path / "in" / "contacts.csv"
    write_csv(audience, contacts(40))
    os.utime(audience, (1_500_000_000, 1_500_000_000))  # an export from 2017
    spec = write_spec(
        tmp_path / "in",
        variants=[],
        outputs=["eml", "docx"],
        chunk_size=10,
        template={"subject": "Hi", "text": "Hello {{ first_name }}", "markdown": "# Hello"},
        # no email.date (a send-ready eml needs an unsubscribe header: unsubscribe.missing)
        email={"from": "news@shop.example.com", "unsubscribe_url": "https://shop.example.com/u"},
    )
    out = tmp_path / "out"

    def interrupt(_: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # half the job now, the rest in a resumed run
        _run(factory, database_url, spec, out, on_progress=interrupt)
    result = _run(factory, database_url, spec, out, resume=True)
    with factory() as session:
        job = session.get(Job, result.job_id)
        assert job is not None
        created = job.created_at.replace(microsecond=0)
        assert job.params["eml_date"] == created.isoformat()
    stamp = email.utils.format_datetime(created)
    dates = set()
    for path in (out / "eml").iterdir():
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        dates.add(msg["Date"])
    assert dates == {stamp}  # every message, before and after the resume
    assert "2017" not in stamp
    created_w3c = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in (out / "docx").iterdir():
        with zipfile.ZipFile(path) as docx:
            core = docx.read("docProps/core.xml").decode()
        assert f">{created_w3c}</dcterms:created>" in core


def _with_ids(rows: list[list[object]]) -> list[list[object]]:
    return [[f"id{i:03d}", *row] for i, row in enumerate(rows, start=1)]


_ID_HEADER = ["id", "email", "first_name", "city", "locale", "consent"]


@pytest.mark.parametrize(("severity", "status"), [(None, "warn"), ("fail", "fail"), ("off", None)])
def test_a_second_contact_with_the_same_address_is_flagged(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    severity: str | None,
    status: str | None,
) -> None:
    rows = contacts(30)
    rows[20][0] = "User000002@EXAMPLE.com"  # row 21: the address of row 3, another key
    rows[4][0] = "ann@straße.de"  # row 5
    rows[25][0] = "ANN@xn--strae-oqa.de"  # row 26: the same domain in ASCII
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", _with_ids(rows), header=_ID_HEADER)
    qa = {"severity": {"contact.duplicate_email": severity}} if severity else {}
    # Chunks of 10 contacts by key: each duplicate renders in another chunk than its first row.
    spec = write_spec(
        tmp_path / "in", audience={"path": "contacts.csv", "key": "id"}, chunk_size=10, qa=qa
    )
    out = tmp_path / "out"
    _run(factory, database_url, spec, out, workers=2)

    manifest = {
        m["key"]: m for m in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    flagged = {
        key: issue
        for key, m in manifest.items()
        for issue in m["qa"]["issues"]
        if issue["code"] == "contact.duplicate_email"
    }
    report = json.loads((out / "report.json").read_text())
    if status is None:
        assert flagged == {} and "contact.duplicate_email" not in report["qa"]["by_code"]
        return
    assert set(flagged) == {"id021", "id026"}
    assert "row 3" in flagged["id021"]["message"] and "row 5" in flagged["id026"]["message"]
    assert {i["severity"] for i in flagged.values()} == {status}
    assert report["qa"]["by_code"]["contact.duplicate_email"] == 2
    assert report["accepted"] == 30  # flagged, not rejected
    written = (out / "html" / "id021.html").exists()
    assert written == (status == "warn")


def test_a_sender_written_as_a_mailbox(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(3))
    email_spec = {
        "from": "Lumen <hello@straße.de>",
        "reply_to": "Care <care@example.com>",
        "unsubscribe_mailto": "unsubscribe@example.com",
    }
    spec = write_spec(tmp_path / "in", email=email_spec, variants=[])
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    msg = email.message_from_bytes(
        (out / "eml" / "user000001@example.com.eml").read_bytes(), policy=email.policy.default
    )
    assert msg["From"].addresses[0].display_name == "Lumen"
    assert msg["From"].addresses[0].addr_spec == "hello@xn--strae-oqa.de"
    assert msg["Reply-To"].addresses[0].display_name == "Care"
    assert msg["Message-ID"].endswith("@xn--strae-oqa.de>")


@pytest.mark.parametrize(
    ("email_spec", "field"),
    [
        ({"from": "Lumen <hello@example.com", "from_name": None}, "email.from"),
        ({"from": "ann@☃.net"}, "email.from"),
        ({"from": "jörg@müller.de"}, "email.from"),
        ({"from": "Lumen <hello@example.com>", "from_name": "Lumen"}, "email.from_name"),
        ({"from": "hello@example.com", "reply_to": "care@localhost"}, "email.reply_to"),
    ],
)
def test_a_bad_sender_stops_before_any_output(
    factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    email_spec: dict[str, object],
    field: str,
) -> None:
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(3))
    spec = write_spec(tmp_path / "in", email=email_spec)
    out = tmp_path / "out"
    with pytest.raises(BrandloomError) as info:
        _run(factory, database_url, spec, out)
    assert info.value.code == "spec.invalid" and info.value.status == 422
    assert f"{field}:" in info.value.message
    assert not out.exists() or not any(out.iterdir())


def test_right_to_left_locales_are_the_ones_cldr_says(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    locales = ("ary", "apc", "sdh", "skr", "bal", "pa-PK", "pa", "en-US")
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "contacts.csv", contacts(len(locales), locales=locales))
    spec = write_spec(tmp_path / "in", variants=[], outputs=["html"])
    out = tmp_path / "out"
    _run(factory, database_url, spec, out)
    directions = {}
    for i, tag in enumerate(locales):
        html = (out / "html" / f"user{i:06d}@example.com.html").read_text(encoding="utf-8")
        directions[tag] = html.split('dir="', 1)[1].split('"', 1)[0]
    assert directions == {
        "ary": "rtl", "apc": "rtl", "sdh": "rtl", "skr": "rtl", "bal": "rtl", "pa-PK": "rtl",
        "pa": "ltr", "en-US": "ltr",
    }  # fmt: skip
