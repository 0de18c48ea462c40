"""``brandloom analyze``: every text of a file through the text analysers, as JSON lines or a
table. Texts are analysed in batches, so a file of any length streams."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from rich.markup import escape
from rich.table import Table

from brandloom.insights.service import MAX_TEXTS


def batches(texts: Iterable[str], size: int = MAX_TEXTS) -> Iterator[list[str]]:
    iterator = iter(texts)
    while batch := list(islice(iterator, size)):
        yield batch


def _top(scores: dict[str, float], n: int, floor: float) -> str:
    best = sorted(scores.items(), key=lambda item: -item[1])[:n]
    return ", ".join(f"{name} {value:.2f}" for name, value in best if value >= floor) or "-"


def _motivators(found: dict[str, Any]) -> str:
    best = sorted(found.items(), key=lambda item: -item[1]["score"])[:3]
    shown = [
        f"{name} {m['score']:.2f} ({', '.join(m['evidence'][:3])})"
        for name, m in best
        if m["score"] > 0
    ]
    return "; ".join(shown) or "-"


def summary(item: dict[str, Any]) -> str:
    """The figures of one result as a few short lines (``--jsonl`` has every figure)."""
    language = item["language"] or "none"
    sentiment = item["sentiment"]
    lines = [
        f"language {language} ({item['language_confidence']:.2f}) · sentiment "
        f"{sentiment['label']} {sentiment['score']:+.2f}",
        f"emotions {_top(item['emotions'], 3, 0.1)} · asserted {', '.join(item['emotion_labels'])}",
        f"motivators {_motivators(item['motivators'])}",
    ]
    readability = item["readability"]
    reading = f"{readability['words_per_sentence']:.1f} words/sentence"
    if readability.get("score") is not None:
        reading = (
            f"{readability['formula']} {readability['score']:.0f} "
            f"(grade {readability['grade']:.1f}), " + reading
        )
    spam = f"spam {item['spam_score']:.2f} (rules {item['spam_rules_score']:g})"
    lines.append(f"readability {reading} · {spam}")
    if "resonance" in item:
        targets = ", ".join(f"{t} {v:.2f}" for t, v in item["resonance"]["targets"].items())
        lines.append(f"resonance {item['resonance']['score']:.2f} ({targets})")
    if "culture" in item:
        findings = item["culture"]
        lines.append("culture " + ("ok" if not findings else ""))
        for finding in findings:
            lines.append(f"  {finding['code']}: {finding['message']}")
    return "\n".join(lines)


def table(rows: list[tuple[int, str, dict[str, Any]]]) -> Table:
    """One row per text: its number, the text, and its figures in short lines."""
    grid = Table(show_lines=True, highlight=False)
    grid.add_column("#", justify="right", no_wrap=True)
    grid.add_column("text", ratio=1, overflow="fold")
    grid.add_column("analysis", ratio=2, overflow="fold")
    for number, text, item in rows:
        grid.add_row(str(number), escape(text) or "(empty)", escape(summary(item)))
    return grid
