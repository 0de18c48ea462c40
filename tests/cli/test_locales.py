"""``brandloom locales``: the culture locales as a user lists them (real subprocesses)."""

from __future__ import annotations

import json

from tests.cli.test_cli import run


def test_locales_lists_every_supported_locale_in_a_table(env: dict[str, str]) -> None:
    result = run(env, "locales")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "culture locales (" in out
    for tag in ("de-DE", "ja-JP", "ar-SA", "pt-BR", "zh-TW"):
        assert tag in out
    de = next(line for line in out.splitlines() if "de-DE" in line)
    assert "German" in de and "formal" in de and "„…“" in de and "sat–sun" in de
    ar = next(line for line in out.splitlines() if "ar-SA" in line)
    assert "yes" in ar and "fri–sat" in ar and "sun" in ar


def test_locales_json_is_one_profile_per_line(env: dict[str, str]) -> None:
    result = run(env, "locales", "--json")
    assert result.returncode == 0, result.stderr
    profiles = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(profiles) >= 30
    by_tag = {p["locale"]: p for p in profiles}
    assert by_tag["ja-JP"]["name_order"] == "surname_first"
    assert by_tag["he-IL"]["rtl"] is True
    assert by_tag["es-ES"]["register"]["default"] == "none"


def test_one_locale_shows_its_full_profile(env: dict[str, str]) -> None:
    result = run(env, "locales", "de")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "de-DE: German (Germany)" in out
    for needle in ("Sehr geehrte", "1.234,50", "dd.MM.yy", "monday", "saturday, sunday", "88"):
        assert needle in out, needle
    single = run(env, "locales", "fr-CA", "--json")
    profile = json.loads(single.stdout)
    assert profile["locale"] == "fr-CA" and profile["quotes"]["start"] == "«"


def test_an_unknown_locale_exits_2_with_the_close_ones(env: dict[str, str]) -> None:
    result = run(env, "locales", "de-LU")
    assert result.returncode == 2
    err = " ".join(result.stderr.split())
    assert "culture.unknown_locale" in err and "de-AT, de-CH, de-DE" in err
