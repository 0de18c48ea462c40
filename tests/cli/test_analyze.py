"""``brandloom analyze``: files and stdin through every analyser (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from brandloom.analysis.resonance import EMOTIONS
from tests.cli.test_cli import BRANDLOOM, run

KEYS = {
    "language", "language_confidence", "sentiment", "emotions", "emotion_labels", "motivators",
    "readability", "spam_score", "spam_rules_score",
}  # fmt: skip


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_one_object_per_line_blank_lines_included_in_order(
    env: dict[str, str], tmp_path: Path
) -> None:
    texts = tmp_path / "subjects.txt"
    texts.write_bytes(
        "Last chance: 30% off ends tonight!\r\n\r\n"
        "Ihre Bestellung ist unterwegs und kommt am Freitag an.\n"
        "Merci pour votre fidélité, voici votre cadeau\n".encode()
    )
    result = run(env, "analyze", "--input", str(texts), "--jsonl")
    assert result.returncode == 0, result.stderr
    items = _lines(result.stdout)
    assert len(items) == 4
    assert [i["language"] for i in items] == ["en", None, "de", "fr"]
    for item in items:
        assert set(item) >= KEYS
        assert set(item["emotions"]) == set(EMOTIONS)
        assert "culture" not in item and "resonance" not in item
    first = items[0]
    assert "urgency" in first["motivators"] and first["motivators"]["urgency"]["evidence"]
    assert first["readability"]["formula"]


def test_csv_reads_the_text_column_and_locale_adds_culture(
    env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "copy.csv"
    data.write_text(
        'id,text\n1,"Hallo, hast du schon gesehen? Nur $1,234.50!"\n'
        '2,"Guten Tag, Ihr Angebot wartet."\n',
        encoding="utf-8",
    )
    result = run(env, "analyze", "--input", str(data), "--jsonl", "--locale", "de-DE")
    assert result.returncode == 0, result.stderr
    first, second = _lines(result.stdout)
    codes = {finding["code"] for finding in first["culture"]}  # type: ignore[union-attr]
    assert "culture.formality" in codes
    assert second["culture"] == []


def test_stdin_and_targets(env: dict[str, str]) -> None:
    result = subprocess.run(
        [*BRANDLOOM, "analyze", "--input", "-", "--jsonl", "--targets", "urgency,Gratitude"],
        input="Thank you so much! Only today: 20% off.\n",
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (item,) = _lines(result.stdout)
    assert set(item["resonance"]["targets"]) == {"urgency", "gratitude"}  # type: ignore[index]


def test_table_output(env: dict[str, str], tmp_path: Path) -> None:
    texts = tmp_path / "t.txt"
    texts.write_text("Your exclusive offer ends tonight\n", encoding="utf-8")
    result = run(env, "analyze", "--input", str(texts))
    assert result.returncode == 0, result.stderr
    assert "language en (" in result.stdout and "exclusivity 0." in result.stdout


def test_bad_input_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    missing = run(env, "analyze", "--input", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "nope.txt: no such file" in missing.stderr
    no_column = tmp_path / "x.csv"
    no_column.write_text("id,body\n1,hi\n", encoding="utf-8")
    result = run(env, "analyze", "--input", str(no_column))
    assert result.returncode == 2 and "no 'text' column (columns: id, body)" in result.stderr
    latin = tmp_path / "latin.txt"
    latin.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    result = run(env, "analyze", "--input", str(latin))
    assert result.returncode == 2 and "line 2: not UTF-8" in result.stderr
    texts = tmp_path / "t.txt"
    texts.write_text("hello\n", encoding="utf-8")
    for args, needle in (
        (["--locale", "xx-YY"], "culture.unknown_locale"),
        (["--targets", "urgncy"], "did you mean `urgency`"),
        (["--languages", "en,zz"], "'zz'"),
    ):
        result = run(env, "analyze", "--input", str(texts), *args)
        assert result.returncode == 2 and needle in result.stderr, (args, result.stderr)


def test_models_lists_the_shipped_models(env: dict[str, str]) -> None:
    result = run(env, "models")
    assert result.returncode == 0, result.stderr
    for name in ("emotion.goemotions.v1", "sentiment.umsab.v2", "spam.spamassassin.v1"):
        assert name in result.stdout
