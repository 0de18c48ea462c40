"""``brandloom write`` and ``brandloom provider`` as a user runs them (real subprocesses; LLM
providers are a local server speaking the OpenAI wire protocol)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from brandloom.providers.llm.fake_server import FakeLLMServer
from tests.cli.test_cli import run
from tests.generation.test_brief import ACME


def _brief(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "brief.yaml"
    data = {k: v for k, v in {**ACME, **changes}.items() if v is not None}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_offline_write_covers_every_channel_and_locale(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "write", str(_brief(tmp_path, brand=None)), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["candidates"]) == 8 * 4 * 3
    assert set(data["best"]) == {f"{c}|{loc}" for c in ACME["channels"] for loc in ACME["locales"]}
    assert data["usage"] == {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
    for key, index in data["best"].items():
        best = data["candidates"][index]
        assert f"{best['channel']}|{best['locale']}" == key
        assert best["writer"]["name"] == "offline" and "not an LLM" in best["writer"]["note"]
        assert best["problems"] == [], (key, best["problems"])
        assert best["brand_consistency"] is None
        predicted = best["predicted_performance"]
        if best["locale"] == "en-US":  # the predictor reads English only
            assert predicted["basis"] == "global prior" and predicted["uncertainty"] > 0
            assert 0 < predicted["p_better_than_typical"] < 1
        else:
            assert predicted is None
        assert set(best["emotional_resonance"]) == {"overall", "targets"}

    table = run(env, "write", str(_brief(tmp_path, brand=None, channels=["email"])))
    assert table.returncode == 0, table.stderr
    assert "email · en-US" in table.stdout and "not an LLM" in table.stdout


def test_an_unknown_brand_or_a_bad_brief_is_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    missing = run(env, "write", str(_brief(tmp_path, brand="nope")))
    assert missing.returncode == 2 and "brand.not_found" in missing.stderr
    bad = run(env, "write", str(_brief(tmp_path, channels=["fax"])))
    assert bad.returncode == 2 and "channels: unknown channel 'fax'" in bad.stderr


def test_no_usable_provider_is_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in env.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    result = run(env, "write", str(_brief(tmp_path, brand=None)), "--provider", "openai")
    assert result.returncode == 2
    assert "provider.unavailable" in result.stderr and "OPENAI_API_KEY" in result.stderr


def test_an_api_key_in_the_environment_never_chooses_the_provider(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    brief = _brief(tmp_path, brand=None, channels=["sms"], locales=["en-US"], n=1)
    result = run(env, "write", str(brief), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["writer"]["provider"] == "offline"


def test_openai_compatible_server_with_stored_key(env: dict[str, str], tmp_path: Path) -> None:
    secret = "sk-very-secret-0123456789"
    with FakeLLMServer() as server:
        stored = run(
            {**env, "MY_KEY": secret},
            "provider", "set", "openai", "--api-key-env", "MY_KEY",
            "--base-url", f"{server.base_url}/v1", "--model", "local-model", "--default",
        )  # fmt: skip
        assert stored.returncode == 0, stored.stderr
        assert secret not in stored.stdout + stored.stderr
        brief = _brief(tmp_path, brand=None, channels=["social:x"], locales=["en-US"], n=2)
        result = run(env, "write", str(brief), "--json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["writer"] == {"provider": "openai", "model": "local-model"}
        assert data["usage"]["calls"] == 1
        (request,) = server.requests
        assert request.headers["authorization"] == f"Bearer {secret}"
        assert request.body["response_format"]["type"] == "json_schema"
        listed = run(env, "provider", "list", "--json")
        assert secret not in listed.stdout
        overview = json.loads(listed.stdout)
        assert overview["providers"][0]["has_key"] is True
        assert overview["usage_this_month"]["calls"] == 1
        # the same brief again: answered from the cache, no second request
        again = run(env, "write", str(brief), "--json")
        assert again.returncode == 0 and len(server.requests) == 1
    secret_file = Path(env["BRANDLOOM_DATA_DIR"]) / "secret.key"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    db = (Path(env["BRANDLOOM_DATA_DIR"]) / "brandloom.db").read_bytes()
    assert secret.encode() not in db
