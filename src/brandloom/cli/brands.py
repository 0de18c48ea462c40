"""``brandloom brand ...`` and ``brandloom voice ...``: brands, their guidelines, kit and
content library; voices trained from the library; copy scored and linted against them.

Brands are named here (the API names them by id). Each command runs in the chosen workspace,
in one unit of work: a command that fails changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brandloom.cli.common import WorkspaceOpt, err_console
from brandloom.cli.common import run_or_exit as _run

T = TypeVar("T")

brand_app = typer.Typer(
    help="Brands: guidelines (versioned), visual kit and the content library.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
voice_app = typer.Typer(
    help="Brand voices: trained from a brand's library; copy scored and linted against them.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

console = Console(soft_wrap=True)

NameArg = Annotated[str, typer.Argument(help="The brand's name.", show_default=False)]
GuidelinesOpt = Annotated[
    Path | None,
    typer.Option(
        "--guidelines",
        "-g",
        help="Guidelines YAML (brand_name, tone, banned_terms, glossary, ...): a new version.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", help="The channel (email, sms, social, ...).")
]
LocaleOpt = Annotated[str | None, typer.Option("--locale", "-l", help="A BCP 47 locale: de-DE.")]
TextInputOpt = Annotated[
    str,
    typer.Option(
        "--input",
        "-i",
        help="Texts: .csv/.tsv with a `text` column, else one text per line; `-` for stdin.",
    ),
]
JsonlOpt = Annotated[
    bool, typer.Option("--jsonl", help="One JSON object per text instead of a table.")
]


def _print_jsonl(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(orjson.dumps(row).decode() + "\n")


def _say(line: str) -> None:
    from brandloom.cli.progress import say

    say(line)


def _print_report(report: dict[str, Any], source: str, target: Console) -> None:
    """An import's report: the counts, then each rejected text with its line (row)."""
    target.print(
        f"{escape(source)} ({report['format']}): {report['accepted']:,} texts added, "
        f"{report['duplicates']:,} duplicates skipped, {report['rejected_total']:,} rejected",
        highlight=False,
    )
    for reject in report["rejected"]:
        where = f"row {reject['row']}" if "row" in reject else f"line {reject['line']}"
        target.print(f"  {where}: {escape(reject['reason'])}", highlight=False)
    hidden = report["rejected_total"] - len(report["rejected"])
    if hidden > 0:
        target.print(f"  ... and {hidden:,} more rejected", highlight=False)


def _known_format(path: Path | None) -> bool:
    from brandloom.brands.library import EXTENSIONS

    return path is not None and path.suffix.lower() in EXTENSIONS


def _read_file(path: Path) -> bytes:
    from brandloom.brands.errors import LibraryError
    from brandloom.brands.service import MAX_LIBRARY_BYTES

    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_LIBRARY_BYTES + 1)
    except FileNotFoundError:
        raise LibraryError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LibraryError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise LibraryError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return data


# -- brand -------------------------------------------------------------------------------


@brand_app.command("create")
def brand_create(
    name: NameArg,
    guidelines: GuidelinesOpt = None,
    kit: Annotated[
        Path | None,
        typer.Option(
            "--kit",
            "-k",
            help="Visual kit YAML: colors, font, logo (a PNG/SVG path), address, "
            "legal_footer, sender.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Create a brand. For a brand that exists, --guidelines adds a guidelines version (when
    they changed) and --kit replaces its kit."""
    from brandloom.analysis.guidelines import load_guidelines_file
    from brandloom.brands.kit import load_kit_file
    from brandloom.brands.service import save_brand
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work

    def go() -> dict[str, Any]:
        rules = load_guidelines_file(guidelines) if guidelines is not None else None
        kit_data, logo = load_kit_file(kit) if kit is not None else (None, None)
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            saved = save_brand(
                session, auth.workspace, name=name, guidelines=rules, kit=kit_data, logo=logo
            )
            return {
                "brand_id": saved.brand.id,
                "name": saved.brand.name,
                "created": saved.created,
                "guidelines_version": saved.brand.guidelines_version,
                "guidelines_changed": saved.guidelines_changed,
            }

    result = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        return
    what = "created" if result["created"] else "updated"
    version = result["guidelines_version"]
    if version is None:
        rules_note = "no guidelines"
    elif result["guidelines_changed"]:
        rules_note = f"guidelines version {version}"
    else:
        rules_note = f"guidelines unchanged (version {version})"
    console.print(
        f"brand [bold]{escape(result['name'])}[/] ({result['brand_id']}) {what}: {rules_note}",
        highlight=False,
    )


@brand_app.command("list")
def brand_list(as_json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """The workspace's brands, newest first, with their current voice."""
    from brandloom.brands.service import list_voices
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work

    def go() -> list[dict[str, Any]]:
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            return [
                {
                    "id": brand.id,
                    "name": brand.name,
                    "guidelines_version": brand.guidelines_version,
                    "logo": brand.logo_media_type,
                    "voice_id": voice.id if voice is not None else None,
                    "created_at": brand.created_at.isoformat(timespec="seconds"),
                }
                for brand, voice in list_voices(session, auth.workspace)
            ]

    rows = _run(go)
    if as_json:
        _print_jsonl(rows)
        return
    table = Table(highlight=False)
    for column in ("id", "name", "guidelines", "logo", "voice", "created"):
        # ids are what people copy from here: never shortened
        table.add_column(column, no_wrap=column in ("id", "created"))
    for row in rows:
        table.add_row(
            row["id"],
            escape(row["name"]),
            f"v{row['guidelines_version']}" if row["guidelines_version"] else "-",
            (row["logo"] or "-").removeprefix("image/"),
            "yes" if row["voice_id"] else "-",  # `voice list` names it
            row["created_at"][:10],
        )
    console.print(table)


@brand_app.command("import")
def brand_import(
    name: NameArg,
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            help="TXT (a text per line or per paragraph), CSV/TSV (`text`, `channel`, "
            "`locale` columns), Markdown, HTML or JSONL.",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="txt, csv, tsv, md, html or jsonl (default: by ext)."),
    ] = None,
    channel: ChannelOpt = None,
    locale: LocaleOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a file's texts to a brand's content library. Texts the library holds are skipped;
    rejected texts are listed with their line (row) and reason."""
    from brandloom.brands.service import find_brand, import_file
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work

    def go() -> dict[str, Any]:
        data = _read_file(input_path)
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            brand = find_brand(session, auth.workspace, name=name)
            report = import_file(
                session,
                auth.workspace,
                brand=brand,
                data=data,
                filename=str(input_path),
                format=fmt,
                channel=channel,
                locale=locale,
            )
            return report.to_dict()

    report = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(report).decode() + "\n")
        return
    _print_report(report, str(input_path), console)


# -- voice -------------------------------------------------------------------------------


@voice_app.command("train")
def voice_train(
    name: NameArg,
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            help="Texts to add to the library first: one per line, or a CSV with a `text` "
            "column (any format `brand import` reads).",
        ),
    ] = None,
    guidelines: GuidelinesOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Learn a brand's voice from its whole content library and store it as the current
    voice. Creates the brand if needed and imports --input into its library first."""
    from brandloom.analysis.guidelines import load_guidelines_file
    from brandloom.brands.service import ensure_brand, import_file, train_voice
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work

    def go() -> tuple[dict[str, Any] | None, dict[str, Any]]:
        rules = load_guidelines_file(guidelines) if guidelines is not None else None
        data = _read_file(input_path) if input_path is not None else None
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            brand = ensure_brand(session, auth.workspace, name=name, guidelines=rules)
            report = None
            if data is not None:
                report = import_file(
                    session,
                    auth.workspace,
                    brand=brand,
                    data=data,
                    filename=str(input_path),
                    # a file of another extension holds one text per line
                    format=None if _known_format(input_path) else "txt",
                ).to_dict()
            voice = train_voice(session, auth.workspace, brand=brand)
            return report, {
                "brand": brand.name,
                "voice_id": voice.id,
                "n_texts": voice.n_texts,
                "guidelines_version": voice.guidelines_version,
                "summary": voice.summary,
            }

    report, voice = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps({**voice, "import": report}).decode() + "\n")
        return
    if report is not None:
        _print_report(report, str(input_path), err_console)
    version = voice["guidelines_version"]
    console.print(
        f"voice {voice['voice_id']} of [bold]{escape(voice['brand'])}[/]: learned from "
        f"{voice['n_texts']:,} texts"
        + (f", guidelines version {version}" if version is not None else ", no guidelines"),
        highlight=False,
    )
    console.print(_summary_table(voice["summary"]))


def _summary_table(summary: dict[str, Any]) -> Table:
    """What a voice learned, for people (``--json`` has all of it); keys it lacks are left out."""
    table = Table(show_header=False, highlight=False)
    table.add_column("", style="bold")
    table.add_column("")
    languages = summary.get("languages") or {}
    if isinstance(languages, dict) and languages:
        table.add_row("languages", ", ".join(f"{lang} {n:,}" for lang, n in languages.items()))
    if isinstance(summary.get("tone"), (int, float)):
        table.add_row("tone", f"{summary['tone']:+.2f} (sentiment, -1 to 1)")
    distinctive = summary.get("distinctive") or []
    if isinstance(distinctive, list) and distinctive:
        words = [d if isinstance(d, str) else str(_first(d)) for d in distinctive[:15]]
        table.add_row("distinctive words", escape(", ".join(words)))
    style = summary.get("style") or {}
    if isinstance(style, dict):
        for name, info in style.items():
            if isinstance(info, dict) and isinstance(info.get("mean"), (int, float)):
                table.add_row(escape(name), escape(f"{info['mean']:g} {info.get('what', '')}"))
    return table


def _first(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("term") or item.get("word") or next(iter(item.values()), "")
    if isinstance(item, (list, tuple)) and item:
        return item[0]
    return item


@voice_app.command("list")
def voice_list(as_json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """Every brand's current voice: when it was trained, on how many texts, with which
    guidelines version."""
    from brandloom.brands.service import list_voices
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work

    def go() -> list[dict[str, Any]]:
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            return [
                {
                    "brand": brand.name,
                    "brand_id": brand.id,
                    "voice_id": voice.id if voice else None,
                    "n_texts": voice.n_texts if voice else None,
                    "guidelines_version": voice.guidelines_version if voice else None,
                    "trained_at": voice.created_at.isoformat(timespec="seconds") if voice else None,
                }
                for brand, voice in list_voices(session, auth.workspace)
            ]

    rows = _run(go)
    if as_json:
        _print_jsonl(rows)
        return
    table = Table(highlight=False)
    for column in ("brand", "voice", "texts", "guidelines", "trained"):
        table.add_column(column, no_wrap=column in ("voice", "trained"))
    for row in rows:
        version = row["guidelines_version"]
        table.add_row(
            escape(row["brand"]),
            row["voice_id"] or "- (not trained)",
            f"{row['n_texts']:,}" if row["n_texts"] is not None else "-",
            f"v{version}" if version is not None else "-",
            (row["trained_at"] or "-")[:16].replace("T", " "),
        )
    console.print(table)


def _texts_in_batches(input_path: str) -> Iterable[list[str]]:
    from brandloom.cli.analyze import batches
    from brandloom.cli.textinput import read_texts

    return batches(read_texts(input_path))


@voice_app.command("score")
def voice_score(
    name: NameArg,
    input_path: TextInputOpt,
    jsonl: JsonlOpt = False,
    channel: ChannelOpt = None,
    locale: LocaleOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Score copy against a brand's current voice (0-100, per dimension, with suggestions)
    and its guidelines. Every input line (blank ones too) gives exactly one result, in order."""
    from brandloom.brands.service import check_options, find_brand, voice_scorer
    from brandloom.cli.context import app_context
    from brandloom.cli.progress import OutputClosed
    from brandloom.db.engine import unit_of_work

    def go() -> None:
        check_options(channel=channel, locale=locale)
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            brand = find_brand(session, auth.workspace, name=name)
            scorer = voice_scorer(session, auth.workspace, brand=brand)
        number = 0
        for batch in _texts_in_batches(input_path):
            items = scorer.score(batch, channel=channel, locale=locale)
            if jsonl:
                for item in items:
                    _say(orjson.dumps(item).decode())
            else:
                console.print(_score_table(number, batch, items))
            number += len(batch)

    try:
        _run(go)
    except OutputClosed:
        raise typer.Exit(141) from None


def _violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        line = f"{v['code']}: {v['message']}"
        if v.get("suggestion"):
            line += f" → {v['suggestion']}"
        lines.append(line)
    return "\n".join(lines)


def _score_table(start: int, texts: list[str], items: list[dict[str, Any]]) -> Table:
    grid = Table(show_lines=True, highlight=False)
    grid.add_column("#", justify="right", no_wrap=True)
    grid.add_column("text", ratio=1, overflow="fold")
    grid.add_column("score", justify="right", no_wrap=True)
    grid.add_column("voice", ratio=2, overflow="fold")
    for offset, (text, item) in enumerate(zip(texts, items, strict=True)):
        dimensions = ", ".join(
            f"{dim} {info.get('score', 0):.0f}" for dim, info in item.get("dimensions", {}).items()
        )
        notes = [dimensions] if dimensions else []
        # the violations below carry their own suggestions
        told = {v.get("suggestion") for v in item.get("violations", [])}
        notes += [f"• {s}" for s in dict.fromkeys(item.get("suggestions", [])) if s not in told]
        if item.get("violations"):
            notes.append(_violations(item["violations"]))
        grid.add_row(
            str(start + offset + 1),
            escape(text) or "(empty)",
            f"{item['score']:.0f}",
            escape("\n".join(notes)) or "-",
        )
    return grid


@voice_app.command("lint")
def voice_lint(
    name: NameArg,
    input_path: TextInputOpt,
    jsonl: JsonlOpt = False,
    channel: ChannelOpt = None,
    locale: LocaleOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Check copy against a brand's current guidelines: banned terms, glossary, disclaimers,
    formality, name casing, emoji, exclamation marks, reading level. One result per input line
    (`{"index", "violations", "guidelines_version"}` with --jsonl); exit 1 when any text
    breaks a rule."""
    from brandloom.brands.service import check_options, find_brand, guidelines_linter
    from brandloom.cli.context import app_context
    from brandloom.cli.progress import OutputClosed
    from brandloom.db.engine import unit_of_work

    def go() -> int:
        check_options(channel=channel, locale=locale)
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            brand = find_brand(session, auth.workspace, name=name)
            linter = guidelines_linter(session, auth.workspace, brand=brand)
        number = found = 0
        for batch in _texts_in_batches(input_path):
            items = linter.lint(batch, channel=channel, locale=locale, start=number)
            found += sum(1 for item in items if item["violations"])
            if jsonl:
                for item in items:
                    _say(orjson.dumps(item).decode())
            else:
                console.print(_lint_table(batch, items))
            number += len(batch)
        if not jsonl:
            err_console.print(
                f"{found:,} of {number:,} texts break a guideline "
                f"(guidelines version {linter.guidelines_version})",
                highlight=False,
            )
        return found

    try:
        found = _run(go)
    except OutputClosed:
        raise typer.Exit(141) from None
    if found:
        raise typer.Exit(1)


def _lint_table(texts: list[str], items: list[dict[str, Any]]) -> Table:
    grid = Table(show_lines=True, highlight=False)
    grid.add_column("#", justify="right", no_wrap=True)
    grid.add_column("text", ratio=1, overflow="fold")
    grid.add_column("violations", ratio=2, overflow="fold")
    for text, item in zip(texts, items, strict=True):
        grid.add_row(
            str(item["index"] + 1),
            escape(text) or "(empty)",
            escape(_violations(item["violations"])) or "ok",
        )
    return grid
