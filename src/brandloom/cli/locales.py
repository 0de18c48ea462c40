"""``brandloom locales [LOCALE]``: the locales the culture checks know, and one locale's profile
(register, salutations, quotation marks, name order, formats, weekend, numbers to avoid).

Adaptation notes live here, not in the culture findings: a writer reads them before writing,
the checks flag only what does not fit.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brandloom.errors import BrandloomError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def _quotes(profile: dict[str, Any]) -> str:
    q = profile["quotes"]
    return f"{q['start']}…{q['end']} {q['alternate_start']}…{q['alternate_end']}"


def _weekend(profile: dict[str, Any]) -> str:
    return "–".join(day[:3] for day in (profile["weekend"][0], profile["weekend"][-1]))


def _row(profile: dict[str, Any]) -> list[str]:
    return [
        profile["locale"],
        profile["language_name"],
        profile["register"]["default"],
        _quotes(profile),
        profile["name_order"].split("_")[0],  # "given" | "surname"
        "yes" if profile["rtl"] else "",
        _weekend(profile),
        profile["first_day_of_week"][:3],
    ]


def _print_table(profiles: list[dict[str, Any]]) -> None:
    table = Table(title=f"culture locales ({len(profiles)})")
    table.add_column("locale", style="bold", no_wrap=True)
    table.add_column("language")
    table.add_column("register")
    table.add_column("quotes", no_wrap=True)
    table.add_column("name first")
    table.add_column("RTL")
    table.add_column("weekend", no_wrap=True)
    table.add_column("first day")
    for profile in profiles:
        table.add_row(*(escape(cell) for cell in _row(profile)))
    console.print(table)


def _entries(items: list[dict[str, Any]], key: str) -> str:
    return "\n".join(f"{item[key]} ({item['source']})" for item in items) or "-"


def _print_profile(p: dict[str, Any]) -> None:
    table = Table(
        title=f"{p['locale']}: {p['language_name']} ({p['region_name']})", show_header=False
    )
    table.add_column("field", style="bold")
    table.add_column("value")
    register = p["register"]
    salutations = p["salutations"]
    avoid = p["numbers_to_avoid"]
    rows = [
        ("native name", p["native_name"]),
        ("direction", "right to left" if p["rtl"] else "left to right"),
        ("register", f"{register['default']} ({register['source']})"),
        ("informal markers", ", ".join(register["informal"]) or "-"),
        ("formal markers", ", ".join(register["formal"]) or "-"),
        *(
            (f"salutation, {kind}", f"{s['text']} ({s['source']})")
            for kind, s in salutations.items()
        ),
        ("quotation marks", _quotes(p)),
        (
            "also accepted",
            ", ".join(f"{q['start']}…{q['end']}" for q in p["quotes"]["also_accepted"]) or "-",
        ),
        (
            "name order",
            f"{p['name_order'].replace('_', ' ')} (formal address: {p['addressing']['formal']})",
        ),
        (
            "honorifics",
            ", ".join(
                p["honorifics"].get("after_name", []) + p["honorifics"].get("before_name", [])
            )
            or "-",
        ),
        (
            "numbers to avoid",
            "\n".join(f"{a['number']}: {a['reason']} ({a['source']})" for a in avoid) or "-",
        ),
        ("decimal / group", f"{p['decimal_symbol']!r} / {p['group_symbol']!r}"),
        ("currency", f"{p['currency']} {p['currency_symbol']} (e.g. {p['currency_example']})"),
        ("date, short", f"{p['date_format']['short']} ({p['date_format']['short_example']})"),
        ("date, medium", f"{p['date_format']['medium']} ({p['date_format']['medium_example']})"),
        ("first day of week", p["first_day_of_week"]),
        ("weekend", ", ".join(p["weekend"])),
        ("plural categories", ", ".join(p["plural_categories"])),
        ("notes", _entries(p["notes"], "text")),
        ("sources", "; ".join(f"{k}: {v}" for k, v in p["sources"].items())),
    ]
    for name, value in rows:
        table.add_row(escape(name), escape(str(value)))
    console.print(table)


def locales(
    locale: Annotated[
        str | None,
        typer.Argument(help="One locale (de-DE, or a bare language: de) for its full profile."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (one line per locale when listing).")
    ] = False,
) -> None:
    """The locales the culture checks know: register, quotation marks, name order, direction,
    weekend and first day of the week; with LOCALE, that locale's full profile."""
    from brandloom.analysis.culture import locale_profile, supported_locales

    try:
        profiles = (
            [locale_profile(locale)]
            if locale
            else [locale_profile(tag) for tag in supported_locales()]
        )
    except BrandloomError as exc:
        err_console.print(
            f"[bold red]error[/] ({exc.code}): {escape(exc.message)}", highlight=False
        )
        raise typer.Exit(2) from None
    if as_json:
        for profile in profiles:
            sys.stdout.write(orjson.dumps(profile).decode() + "\n")
    elif locale:
        _print_profile(profiles[0])
    else:
        _print_table(profiles)
