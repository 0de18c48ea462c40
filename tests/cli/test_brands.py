"""``brandloom brand ...`` and ``brandloom voice ...`` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.brands.factories import GUIDELINES, LIBRARY, SVG
from tests.cli.test_cli import BRANDLOOM, run


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_brand_create_update_list_and_import(env: dict[str, str], tmp_path: Path) -> None:
    rules = _write(tmp_path / "guidelines.yaml", GUIDELINES)
    (tmp_path / "logo.svg").write_bytes(SVG)
    kit = _write(
        tmp_path / "kit.yaml",
        {"colors": {"primary": "#0a6e5c"}, "font": "Noto Sans", "logo": "logo.svg"},
    )
    made = run(env, "brand", "create", "Lumen", "--guidelines", str(rules), "--kit", str(kit))
    assert made.returncode == 0, made.stderr
    assert "created: guidelines version 1" in made.stdout

    again = run(env, "brand", "create", "Lumen")
    assert again.returncode == 2 and "brand.exists" in again.stderr

    changed = _write(tmp_path / "guidelines2.yaml", {**GUIDELINES, "emoji": "none"})
    updated = run(env, "brand", "create", "Lumen", "--guidelines", str(changed), "--json")
    assert updated.returncode == 0, updated.stderr
    result = json.loads(updated.stdout)
    assert (result["created"], result["guidelines_version"]) == (False, 2)
    same = run(env, "brand", "create", "Lumen", "--guidelines", str(changed))
    assert "guidelines unchanged (version 2)" in same.stdout

    listed = run(env, "brand", "list", "--json")
    (brand,) = _lines(listed.stdout)
    assert (brand["name"], brand["guidelines_version"], brand["logo"]) == (
        "Lumen",
        2,
        "image/svg+xml",
    )

    library = tmp_path / "library.csv"
    library.write_text(
        "text,locale\nSoft light.,en\n,\nWool that lasts.,xx-YY\nSoft  light.,\n", encoding="utf-8"
    )
    imported = run(env, "brand", "import", "Lumen", "--input", str(library))
    assert imported.returncode == 0, imported.stderr
    out = " ".join(imported.stdout.split())
    assert "1 texts added, 1 duplicates skipped, 2 rejected" in out
    assert "row 2: empty text" in out and "row 3: locale: unknown locale 'xx-YY'" in out

    missing = run(env, "brand", "import", "Nope", "--input", str(library))
    assert missing.returncode == 2
    assert "brand.not_found" in missing.stderr and "brandloom brand create 'Nope'" in missing.stderr


def test_bad_files_exit_2_naming_the_file_and_field(env: dict[str, str], tmp_path: Path) -> None:
    rules = _write(tmp_path / "rules.yaml", {"emoji": "lots"})
    bad_rules = run(env, "brand", "create", "Lumen", "--guidelines", str(rules))
    assert bad_rules.returncode == 2
    assert "rules.yaml" in bad_rules.stderr and "emoji" in bad_rules.stderr
    kit = _write(tmp_path / "kit.yaml", {"colors": {"primary": "green"}})
    bad_kit = run(env, "brand", "create", "Lumen", "--kit", str(kit))
    assert bad_kit.returncode == 2 and "colors.primary" in bad_kit.stderr
    # nothing was created by the refused commands
    assert run(env, "brand", "list", "--json").stdout == ""


def test_voice_train_list_score_and_lint(env: dict[str, str], tmp_path: Path) -> None:
    texts = tmp_path / "library"  # no extension: one text per line
    texts.write_text("\n".join(LIBRARY) + "\n", encoding="utf-8")
    rules = _write(tmp_path / "guidelines.yaml", GUIDELINES)
    trained = run(env, "voice", "train", "Lumen", "--input", str(texts), "--guidelines", str(rules))
    assert trained.returncode == 0, trained.stderr
    assert f"learned from {len(LIBRARY)} texts, guidelines version 1" in trained.stdout
    assert f"{len(LIBRARY)} texts added" in trained.stderr

    (voice,) = _lines(run(env, "voice", "list", "--json").stdout)
    assert (voice["brand"], voice["n_texts"], voice["guidelines_version"]) == (
        "Lumen",
        len(LIBRARY),
        1,
    )

    drafts = tmp_path / "drafts.txt"
    drafts.write_bytes(
        b"A quiet evening with soft linen.\r\n\r\nACT NOW!!! Guaranteed cheap deals!!!\n"
    )
    scored = run(env, "voice", "score", "Lumen", "--input", str(drafts), "--jsonl")
    assert scored.returncode == 0, scored.stderr
    items = _lines(scored.stdout)
    assert len(items) == 3  # the blank line too, in order
    assert all(item["voice_id"] == voice["voice_id"] for item in items)
    assert items[0]["score"] > items[2]["score"]
    table = run(env, "voice", "score", "Lumen", "--input", str(drafts))
    assert table.returncode == 0 and "A quiet evening" in table.stdout

    linted = run(env, "voice", "lint", "Lumen", "--input", str(drafts), "--jsonl")
    assert linted.returncode == 1, linted.stderr
    found = _lines(linted.stdout)
    assert [item["index"] for item in found] == [0, 1, 2]
    assert found[0]["violations"] == [] and found[1]["violations"] == []
    codes = {v["code"] for v in found[2]["violations"]}
    assert {"brand.banned_term", "brand.glossary", "brand.exclamation"} <= codes

    clean = subprocess.run(
        [*BRANDLOOM, "voice", "lint", "Lumen", "--input", "-"],
        input="A quiet evening with soft linen.\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert clean.returncode == 0, clean.stderr
    assert "0 of 1 texts break a guideline (guidelines version 1)" in clean.stderr

    no_voice = run(env, "voice", "score", "Other", "--input", str(drafts))
    assert no_voice.returncode == 2 and "brand.not_found" in no_voice.stderr
    bad_locale = run(env, "voice", "lint", "Lumen", "--input", str(drafts), "--locale", "xx-YY")
    assert bad_locale.returncode == 2 and "xx-YY" in bad_locale.stderr
