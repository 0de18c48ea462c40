"""Single-query bulk: a spec with ``brief:`` has its template written once (a handful of LLM
calls, not one per contact), stored, and reused by reruns (real subprocesses; the LLM is a
local server speaking the OpenAI wire protocol)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from brandloom.generation.templates import KEYS
from brandloom.providers.llm.fake_server import FakeLLMServer, RecordedRequest, reply
from tests.cli.test_cli import run
from tests.factories import contacts, write_csv

LOCALES = ("en-US", "de-DE", "es-ES", "fr-FR")
COPY = {
    "en": "Lighter by 80 g and sure-footed on wet rock. Free returns.",
    "de": "80 g leichter und trittsicher auf nassem Fels. Kostenlose Rücksendung.",
    "es": "80 g más ligera y firme sobre roca mojada. Devoluciones gratuitas.",
    "fr": "Plus légère de 80 g et sûre sur la roche mouillée. Retours gratuits.",
}


def _catalog(language: str) -> dict[str, str]:
    text = COPY[language]
    return {
        "subject": text[:40],
        "subject_b": text[:30],
        "preheader": text,
        "headline": "Acme Trail Runner 2",
        "greeting": {"en": "Hi,", "de": "Hallo,", "es": "Hola:", "fr": "Bonjour,"}[language],
        "greeting_named": {
            "en": "Hi {first_name},",
            "de": "Hallo {first_name},",
            "es": "Hola, {first_name}:",
            "fr": "Bonjour {first_name},",
        }[language],
        "body_1": text,
        "body_2": text,
        "body_3": "",
        "cta": "Shop",
        "url": "https://example.com/shoe",
        "sms": text[:100],
        "unsubscribe": "Unsubscribe",
    }


def _answer(request: RecordedRequest) -> Any:
    wanted = request.body["response_format"]["json_schema"]["schema"]["properties"]["catalogs"]
    return reply(
        {"catalogs": {name: _catalog(name.split("-")[0]) for name in wanted["required"]}},
        input_tokens=1_500,
        output_tokens=900,
    )


def _spec(tmp_path: Path, **overrides: Any) -> Path:
    rows = contacts(40, locales=LOCALES)
    write_csv(tmp_path / "contacts.csv", rows)
    brief = {
        "product": "Acme Trail Runner 2",
        "offer": "20% off until Sunday",
        "url": "https://example.com/shoe",
        "cta": "Shop the Trail Runner",
        "must_include": {"en": ["Free returns"]},
        "locales": list(LOCALES),
    }
    (tmp_path / "brief.yaml").write_text(yaml.safe_dump(brief), encoding="utf-8")
    spec = {
        "name": "launch",
        "audience": {"path": "contacts.csv", "key": "email"},
        "brief": "brief.yaml",
        "outputs": ["html", "txt", "eml"],
        "chunk_size": 10,
        "email": {
            "from": "news@shop.example.com",
            "unsubscribe_url": "https://shop.example.com/u?c={{ key | url_encode }}",
        },
        **overrides,
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_one_llm_call_writes_the_template_and_reruns_reuse_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path, provider={"name": "openai", "model": "local-model"})
    with FakeLLMServer(responder=_answer) as server:
        env = {**env, "OPENAI_BASE_URL": f"{server.base_url}/v1", "OPENAI_API_KEY": "sk-x"}
        first = run(env, "generate", str(spec), "--out", str(tmp_path / "out1"), "--workers", "1")
        assert first.returncode == 0, first.stderr
        report = json.loads((tmp_path / "out1" / "report.json").read_text())
        assert report["llm_calls"] == 1 and len(server.requests) == 1
        assert report["input_tokens"] == 1_500 and report["output_tokens"] == 900
        assert report["template_reused"] is False
        assert report["documents"] == {"html": 40, "txt": 40, "eml": 40}
        assert report["qa"]["failed"] == 0, report["qa"]
        assert set(report["locales"]) == {"en", "de", "es", "fr"}
        schema = server.requests[0].body["response_format"]["json_schema"]
        assert schema["strict"] is True
        catalogs = schema["schema"]["properties"]["catalogs"]
        assert catalogs["additionalProperties"] is False
        assert catalogs["properties"]["de"]["required"] == list(KEYS)
        sent = json.dumps(server.requests[0].body)
        assert "user000001@example.com" not in sent and "Name1" not in sent  # no contact data

        again = run(env, "generate", str(spec), "--out", str(tmp_path / "out2"), "--workers", "1")
        assert again.returncode == 0, again.stderr
        second = json.loads((tmp_path / "out2" / "report.json").read_text())
        assert second["llm_calls"] == 0 and second["template_reused"] is True
        assert second["template_id"] == report["template_id"]
        assert len(server.requests) == 1

        fresh = run(
            env, "generate", str(spec), "--out", str(tmp_path / "out3"), "--workers", "1",
            "--regenerate",
        )  # fmt: skip
        assert fresh.returncode == 0, fresh.stderr
        assert json.loads((tmp_path / "out3" / "report.json").read_text())["llm_calls"] == 1
    html = next((tmp_path / "out1" / "html").rglob("*.html")).read_text()
    assert "https://shop.example.com/u?c=" in html


def test_the_offline_writer_writes_a_template_without_a_network(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    result = run(env, "generate", str(spec), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["llm_calls"] == 0 and report["writer"]["provider"] == "offline"
    assert report["qa"]["failed"] == 0, report["qa"]
    assert report["documents"]["html"] == 40
    texts = {p.read_text() for p in (tmp_path / "out" / "txt").rglob("*.txt")}
    assert any("Free returns" in t for t in texts)


def test_a_spec_needs_a_template_or_a_brief(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path, template={"subject": "x", "text": "y"})
    result = run(env, "generate", str(spec), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "exactly one of template" in result.stderr
    validate = run(env, "validate", str(_spec(tmp_path)))
    assert validate.returncode == 2 and "brief" in validate.stderr


def test_segments_get_their_own_subject_and_opening(env: dict[str, str], tmp_path: Path) -> None:
    import email
    from email import policy

    rows = [
        [f"u{i}@example.com", f"Name{i}", "en-US", ["gold", "silver", "bronze"][i % 3], "yes"]
        for i in range(12)
    ]
    write_csv(
        tmp_path / "contacts.csv", rows, header=["email", "first_name", "locale", "tier", "consent"]
    )
    brief = {
        "product": "Acme Trail Runner 2",
        "offer": "20% off until Sunday",
        "locales": ["en-US"],
        "segments": {
            "column": "tier",
            "values": {"gold": "our most loyal runners", "silver": "runners who come back"},
        },
    }
    spec = {
        "name": "segments",
        "audience": {"path": "contacts.csv", "key": "email"},
        "brief": brief,
        "outputs": ["eml"],
        "email": {"from": "news@shop.example.com", "unsubscribe_url": "https://s.example/u"},
        "variants": [{"name": "only"}],
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = run(env, "generate", str(path), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    subjects: dict[str, set[str]] = {}
    for i, row in enumerate(rows):
        found = next((tmp_path / "out" / "eml").rglob(f"u{i}@example.com*.eml"))
        message = email.message_from_bytes(found.read_bytes(), policy=policy.default)
        subjects.setdefault(row[3], set()).add(str(message["subject"]))
    assert all(len(s) == 1 for s in subjects.values()), subjects  # one subject per segment
    assert len(set().union(*subjects.values())) == 3  # gold, silver and everyone else differ

    bad = dict(spec, brief={**brief, "segments": {"column": "plan", "values": {"x": "y"}}})
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    refused = run(env, "generate", str(path), "--out", str(tmp_path / "out2"))
    assert refused.returncode == 2 and "segments.column 'plan'" in refused.stderr
