"""``brandloom localize`` as a user runs it (real subprocesses; the LLM is a local server
speaking the OpenAI wire protocol), and the minimal edit of the spec's template.messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from brandloom.cli.localize import spec_with_entries
from brandloom.providers.llm.fake_server import FakeLLMServer, reply
from tests.cli.test_cli import run
from tests.factories import write_csv, write_spec
from tests.generation.test_localize import EN, answer_for, good_answer

HEADER = ["email", "first_name", "points", "locale", "consent"]
ROWS = [
    ["ann@example.com", "Ann", "1", "en-GB", "yes"],
    ["jo@example.com", "Jörg", "3", "de-DE", "yes"],
    ["zoe@example.com", "Zoé", "2", "fr-FR", "yes"],
]
TEMPLATE = {
    "subject": "{{ t.greeting }}",
    "text": "{{ t.cta }}\n{{ t.points }}\n{{ t.footer.legal }}\n{{ t.footer.unsubscribe }}",
}
COMMENTED = "# the catalogs, one file per language\n"


def _spec(folder: Path, *, inline: bool = False, **extra: Any) -> Path:
    """A spec whose template reads every key of EN; its catalog a file unless ``inline``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "contacts.csv", ROWS, header=HEADER)
    if inline:
        messages: dict[str, Any] = {"en": EN, **extra}
    else:
        (folder / "messages").mkdir(exist_ok=True)
        (folder / "messages" / "en.yaml").write_text(
            yaml.safe_dump(EN, allow_unicode=True), encoding="utf-8"
        )
        messages = {"en": "messages/en.yaml", **extra}
    path = write_spec(
        folder,
        template={**TEMPLATE, "messages": messages},
        outputs=["txt"],
        qa={},
        provider={"name": "openai", "model": "local-model"},
    )
    # a comment and an unusual layout the edit must keep as they are
    path.write_text(COMMENTED + path.read_text(encoding="utf-8") + "# end\n", encoding="utf-8")
    return path


def _env(env: dict[str, str], server: FakeLLMServer) -> dict[str, str]:
    return {**env, "OPENAI_BASE_URL": f"{server.base_url}/v1", "OPENAI_API_KEY": "sk-test"}


def test_localize_writes_catalog_files_and_updates_the_spec(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "in")
    before = spec.read_text(encoding="utf-8")
    with FakeLLMServer(responder=good_answer) as server:
        result = run(_env(env, server), "localize", str(spec), "--to", "de-DE,fr-FR", "--json")
        assert result.returncode == 0, result.stderr
        assert len(server.requests) == 1
        assert server.requests[0].body["model"] == "local-model"  # the spec's provider:
    data = json.loads(result.stdout)
    folder = tmp_path / "in" / "messages"
    assert data["written"] == {
        "de-DE": str(folder / "de-DE.yaml"),
        "fr-FR": str(folder / "fr-FR.yaml"),
    }
    assert data["failed"] == {} and data["skipped"] == {} and data["spec_updated"] is True
    assert data["usage"]["calls"] == 1 and data["source"] == "en" and data["keys"] == 5
    de = yaml.safe_load((folder / "de-DE.yaml").read_text(encoding="utf-8"))
    assert de["points"]["count"] == "points" and de["footer"]["legal"].startswith("Die Preise")
    assert "<b>Frühjahrsverkauf</b>" in de["cta"]

    after = spec.read_text(encoding="utf-8")
    added = "    de-DE: messages/de-DE.yaml\n    fr-FR: messages/fr-FR.yaml\n"
    english = "    en: messages/en.yaml\n"
    assert after == before.replace(english, english + added)
    validated = run(env, "validate", str(spec))
    assert validated.returncode == 0, validated.stderr
    checked = run(env, "messages", "check", str(spec))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # again: both are there now, nothing is asked of the model
    with FakeLLMServer(responder=good_answer) as server:
        again = run(_env(env, server), "localize", str(spec), "--to", "de-DE,fr-FR")
        assert again.returncode == 0, again.stderr
        assert server.requests == []
    assert "already there" in again.stdout
    assert spec.read_text(encoding="utf-8") == after


def test_a_failing_locale_is_not_written_and_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path / "in")
    bad = answer_for("de-DE", greeting="Hallo!")  # {first_name} dropped
    with FakeLLMServer() as server:
        server.script(
            reply({"catalogs": {"de-DE": bad, "fr-FR": answer_for("fr-FR")}}),
            reply({"catalogs": {"de-DE": bad}}),
        )
        result = run(_env(env, server), "localize", str(spec), "--to", "de-DE,fr-FR", "--json")
        assert len(server.requests) == 2  # one retry, for de-DE only
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert list(data["written"]) == ["fr-FR"]
    assert any("greeting: placeholders none differ" in p for p in data["failed"]["de-DE"])
    assert not (tmp_path / "in" / "messages" / "de-DE.yaml").exists()
    spec_data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert spec_data["template"]["messages"] == {
        "en": "messages/en.yaml",
        "fr-FR": "messages/fr-FR.yaml",
    }


def test_a_rerun_after_a_failure_asks_the_model_again(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path / "in")
    bad = reply({"catalogs": {"de-DE": answer_for("de-DE", greeting="Hallo!")}})
    with FakeLLMServer(responder=good_answer) as server:
        server.script(bad, bad)  # then the responder's good answers
        failed = run(_env(env, server), "localize", str(spec), "--to", "de-DE")
        assert failed.returncode == 2 and len(server.requests) == 2
        # no failed answer is replayed from a cache: the same request reaches the model again
        again = run(_env(env, server), "localize", str(spec), "--to", "de-DE", "--json")
        assert again.returncode == 0, again.stderr
        assert len(server.requests) == 3
        assert server.requests[2].body == server.requests[0].body
    assert list(json.loads(again.stdout)["written"]) == ["de-DE"]


def test_the_offline_writer_cannot_translate(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path / "in")
    before = spec.read_bytes()
    result = run(env, "localize", str(spec), "--to", "de-DE", "--provider", "offline")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "offline writer cannot translate" in message
    assert "--provider openai" in message and "brandloom provider" in message
    assert spec.read_bytes() == before
    assert not (tmp_path / "in" / "messages" / "de-DE.yaml").exists()


def test_an_existing_file_is_never_overwritten(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path / "in")
    mine = tmp_path / "in" / "messages" / "de-DE.yaml"
    mine.write_text("greeting: mine\n", encoding="utf-8")
    with FakeLLMServer(responder=good_answer) as server:
        result = run(_env(env, server), "localize", str(spec), "--to", "de-DE", "--json")
        assert server.requests == []  # not asked for: it could not be saved
    assert result.returncode == 2
    assert "not overwritten" in json.loads(result.stdout)["failed"]["de-DE"][0]
    assert mine.read_text(encoding="utf-8") == "greeting: mine\n"


def test_inline_catalogs_are_printed_to_paste(env: dict[str, str], tmp_path: Path) -> None:
    de = {
        "greeting": "Hallo {first_name}!",
        "cta": "Jetzt <b>einkaufen</b>",
        "points": {"count": "points", "one": "{points} Punkt", "other": "{points} Punkte"},
        "footer": {"legal": "Preise inkl. MwSt.", "unsubscribe": "Abmelden"},
    }
    spec = _spec(tmp_path / "in", inline=True, de=de)
    before = spec.read_bytes()
    with FakeLLMServer(responder=good_answer) as server:
        result = run(_env(env, server), "localize", str(spec), "--to", "de,fr-FR")
        assert len(server.requests) == 1
    assert result.returncode == 0, result.stderr
    assert spec.read_bytes() == before  # inline catalogs: the spec is not rewritten
    out = result.stdout
    assert "already there" in out and "paste these under template.messages" in out
    pasted = yaml.safe_load(out[out.index("fr-FR:") :])
    assert pasted["fr-FR"]["points"]["count"] == "points"
    assert pasted["fr-FR"]["greeting"] == "Bonjour {first_name} !"


# -- the spec edit ----------------------------------------------------------------------------


def test_the_spec_edit_keeps_every_other_byte() -> None:
    text = (
        "name: x  # keep me\r\n"
        "template:\r\n"
        "  subject: '{{ t.greeting }}'\r\n"
        "  messages:\r\n"
        "    en: messages/en.yaml   # English\r\n"
        "    # German comes later\r\n"
        "  text: hi\r\n"
    )
    edited = spec_with_entries(text, {"de-DE": "messages/de-DE.yaml"})
    assert edited == text.replace(
        "# English\r\n", "# English\r\n    de-DE: messages/de-DE.yaml\r\n"
    )
    flow = "template:\n  messages: {en: a.yaml}  # flow\n  text: hi\n"
    assert spec_with_entries(flow, {"fr": "fr.yaml"}) == (
        "template:\n  messages: {en: a.yaml, fr: fr.yaml}  # flow\n  text: hi\n"
    )
    at_end = "template:\n  text: hi\n  messages:\n    en: a.yaml"
    assert spec_with_entries(at_end, {"fr": "fr.yaml"}) == at_end + "\n    fr: fr.yaml\n"


def test_a_spec_edit_that_cannot_be_made_safely_is_refused() -> None:
    aliased = "cats: &c\n  en: a.yaml\ntemplate:\n  messages: *c\n"
    assert spec_with_entries(aliased, {"fr": "fr.yaml"}) is None
    empty = "template:\n  messages: {}\n"
    assert spec_with_entries(empty, {"fr": "fr.yaml"}) is None
    assert spec_with_entries("template: [\n", {"fr": "fr.yaml"}) is None
