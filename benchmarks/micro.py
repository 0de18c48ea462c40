"""Micro-benchmarks of the hand-written hot paths against the libraries they replace.

    python benchmarks/run.py --only micro [--quick]

Each line times one document (or one formatted number) built by brandloom and by the library,
single-threaded, best of several rounds, on the same input; the oracle tests check that both
produce the same content (``tests/documents/test_eml_oracle.py``,
``tests/documents/test_docx_oracle.py``, ``tests/templates/test_number_oracle.py``):

* EML: ``build_eml`` vs the standard library's ``email.message.EmailMessage``;
* DOCX: ``DocxBuilder.render`` vs python-docx (same Markdown, same markdown-it tokens);
* numbers: the ``number`` and ``percent`` filters vs ``babel.numbers.format_decimal`` and
  ``format_percent`` (the ``currency`` filter calls Babel: shown for reference).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from references import docx_with_python_docx, eml_with_email_package

from brandloom.documents.formats.docx import DocxBuilder
from brandloom.documents.formats.eml import EmailSettings, build_eml
from brandloom.templates import filters

HTML = (Path(__file__).resolve().parent / "email.html").read_text(encoding="utf-8")
TEXT = (
    "Hallo Jürgen,\n\nIhre Gold-Prämie ist da: 12.345 Punkte warten in München.\n\n"
    "Jetzt einlösen: https://shop.example.com/rewards?c=10000042\n\n"
    "Abmelden: https://shop.example.com/u?c=10000042\n"
)
LETTER = """# Your spring rewards

Dear **Jürgen Müller**, thank you for being a *gold* member. Visit
[our spring shop](https://shop.example.com/spring?c=10000042) or
[write to us](mailto:care@example.com).

## What you get

- **20% off** everything, ~~some~~ *all* sizes
- Free shipping
  - even abroad
- 12,345 points to spend

1. Visit the shop
2. Enter code `SPRING` at checkout

> Members rate us 4.8 of 5.

| Product | Price |
|---|--:|
| Linen shirt | €48 |
| Socks | €5 |

Warm regards,\\
Maria from Example Shop
"""
LOCALES = ["en-US", "de-DE", "es-ES", "fr-FR", "pt-BR", "zh-CN", "ja-JP", "ar-SA", "hi-IN", "it-IT"]


def per_call(fn: Callable[[], Any], *, calls: int, rounds: int) -> float:
    """Seconds per call: the best round (the least disturbed by the rest of the machine)."""
    fn()  # warm caches, as the render path is warm after its first document
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def _line(what: str, ours: float, library: float, name: str, unit: str) -> None:
    print(
        f"micro     {what:<14} brandloom {ours * 1e6:9.1f} µs/{unit}   {name:<22} "
        f"{library * 1e6:9.1f} µs/{unit}   {library / ours:5.1f}x"
    )


def bench_eml(calls: int, rounds: int) -> None:
    case: dict[str, Any] = {
        "from_addr": "news@shop.example.com",
        "from_name": "Example Shop",
        "to_addr": "c00000042@example.com",
        "to_name": "Jürgen Müller",
        "subject": "Jürgen, your gold rewards are here",
        "text": TEXT,
        "html": HTML,
        "message_id": "<8c1d0e6f2b9a4f0e9d3c2b1a0f9e8d7c@shop.example.com>",
        "date": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
        "reply_to": None,
        "unsubscribe_url": "https://shop.example.com/u?c=10000042",
        "unsubscribe_mailto": None,
    }
    settings = EmailSettings(from_addr=case["from_addr"], from_name=case["from_name"])

    def ours() -> bytes:
        return build_eml(
            settings=settings,
            to_addr=case["to_addr"],
            to_name=case["to_name"],
            subject=case["subject"],
            text=case["text"],
            html=case["html"],
            message_id=case["message_id"],
            date=case["date"],
            unsubscribe_url=case["unsubscribe_url"],
        )

    size = len(ours())
    _line(
        f"eml {size / 1000:.0f}KB",
        per_call(ours, calls=calls, rounds=rounds),
        per_call(lambda: eml_with_email_package(**case), calls=max(1, calls // 10), rounds=rounds),
        "email.message",
        "msg",
    )


def bench_docx(calls: int, rounds: int) -> None:
    builder = DocxBuilder(creation_date=datetime(2026, 11, 1, tzinfo=UTC), title="Rewards")
    _line(
        "docx",
        per_call(
            lambda: builder.render(LETTER, lang="de-DE", direction="ltr"),
            calls=calls,
            rounds=rounds,
        ),
        per_call(lambda: docx_with_python_docx(LETTER), calls=max(1, calls // 20), rounds=rounds),
        "python-docx",
        "doc",
    )


def _numbers(kind: str, count: int = 1000) -> list[tuple[int | float | Decimal, str]]:
    """Values as audiences hold them: integer points, float amounts, declared decimals."""
    rng = random.Random(7)
    values: list[int | float | Decimal] = []
    for _ in range(count):
        if kind == "int":
            values.append(rng.randint(0, 50_000))
        elif kind == "float":
            values.append(round(rng.uniform(0, 5_000), 2))
        else:
            values.append(Decimal(rng.randint(0, 10**7)) / 100)
    return [(v, LOCALES[i % len(LOCALES)]) for i, v in enumerate(values)]


def bench_numbers(calls: int, rounds: int) -> None:
    # Babel is given parsed Locale objects, as the filters had before their fast path (they
    # cache one per tag): the figures are the formatting alone, not locale parsing.
    babel_locales = {tag: Locale.parse(tag.replace("-", "_")) for tag in LOCALES}

    def timed(pairs: list[tuple[Any, str]], fn: Callable[[Any, str], str]) -> float:
        def each() -> None:
            for value, tag in pairs:
                fn(value, tag)

        return per_call(each, calls=max(1, calls // 100), rounds=rounds) / len(pairs)

    for kind in ("int", "float", "Decimal"):
        pairs = _numbers(kind)
        _line(
            f"number {kind}",
            timed(pairs, lambda v, t: filters.format_number(v, locale=t)),
            timed(pairs, lambda v, t: format_decimal(v, locale=babel_locales[t])),
            "babel format_decimal",
            "num",
        )
    pairs = _numbers("float")
    _line(
        "percent",
        timed(pairs, lambda v, t: filters.format_percent(v, 1, locale=t)),
        timed(pairs, lambda v, t: format_percent(v, "#,##0.0%", locale=babel_locales[t])),
        "babel format_percent",
        "num",
    )
    _line(
        "currency",
        timed(pairs, lambda v, t: filters.format_currency(v, "EUR", locale=t)),
        timed(pairs, lambda v, t: format_currency(v, "EUR", locale=babel_locales[t])),
        "babel format_currency",
        "num",
    )


def bench_micro(*, quick: bool = False) -> None:
    calls, rounds = (200, 3) if quick else (2000, 5)
    bench_eml(calls, rounds)
    bench_docx(calls, rounds)
    bench_numbers(calls, rounds)
