"""``brandloom localize SPEC.yaml --to de-DE,fr-FR``: a template's missing message catalogs,
transcreated by an LLM (``generation.localize``) and written next to the source catalog.

Where the catalogs go: when the source catalog is a file, each new locale gets a file beside
it in the same format (YAML for .yaml/.yml, JSON for .json, YAML for a .po source), named
``<locale>.<suffix>``; an existing file is never overwritten (that locale is not asked for).
The spec's ``template.messages`` then gets the new ``locale: path`` entries by a minimal text
edit that leaves every other byte of the file as it was; the edit is kept only when the
re-parsed spec holds exactly the new entries, else the spec is left alone and the lines to add
are printed. Catalogs given inline in the spec are printed as YAML to paste (the spec is not
rewritten).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Annotated, Any

import orjson
import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brandloom.cli.common import WorkspaceOpt, err_console, workspace_session
from brandloom.cli.common import run_or_exit as _run
from brandloom.cli.write import ModelOpt, ProviderOpt

console = Console(soft_wrap=True)

_YAML_WIDTH = 1_000_000  # no folded lines in written catalogs


@dataclass(slots=True)
class Outcome:
    """What the command did, as ``--json`` prints it."""

    source: str
    written: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    usage: dict[str, Any] = field(
        default_factory=lambda: {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
    )
    writer: dict[str, Any] = field(default_factory=dict)
    keys: int = 0
    spec_updated: bool = False
    spec_lines: str | None = None  # the entries to add by hand when the spec was not edited
    inline: dict[str, dict[str, Any]] = field(default_factory=dict)  # catalogs to paste

    def to_data(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "keys": self.keys,
            "written": self.written,
            "skipped": self.skipped,
            "failed": self.failed,
            "warnings": self.warnings,
            "usage": self.usage,
            "writer": self.writer,
            "spec_updated": self.spec_updated,
            "spec_lines": self.spec_lines,
            "inline": self.inline,
        }


def localize_command(
    spec: Annotated[Path, typer.Argument(help="The job spec (YAML).", show_default=False)],
    to: Annotated[
        str,
        typer.Option("--to", help="The locales to write, comma-separated (de-DE,fr-FR)."),
    ],
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="The catalog to transcreate from (default: the spec's locale, else the first).",
        ),
    ] = None,
    brand: Annotated[
        str | None,
        typer.Option(
            "--brand",
            help="The brand whose glossary and formality apply (default: the spec's brand:).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Transcreate a template's missing message catalogs with an LLM: the brand's glossary
    and formality and each locale's culture apply; placeholders and markup are kept and
    checked; every catalog passes the catalog, language and culture checks before it is
    saved. The offline writer cannot translate. Exit 2 when a locale failed or no provider
    can be used."""
    outcome = _run(
        lambda: run_localize(
            spec,
            to=[t for t in to.split(",") if t.strip()],
            provider=provider,
            model=model,
            source=source,
            brand=brand,
            workspace=workspace,
        )
    )
    if as_json:
        sys.stdout.write(orjson.dumps(outcome.to_data(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        _print(outcome, spec)
    if outcome.failed:
        raise typer.Exit(2)


def run_localize(
    spec_path: Path,
    *,
    to: list[str],
    provider: str | None,
    model: str | None,
    source: str | None,
    brand: str | None,
    workspace: str | None,
) -> Outcome:
    """Read the spec, transcreate the missing catalogs, write them (module docstring)."""
    from brandloom.cli.specfile import read_spec_file
    from brandloom.generation.localize import choose_source, plan_targets
    from brandloom.generation.service import ProviderEnv, localize_catalogs

    read = read_spec_file(spec_path)
    job = read.spec
    assert job.template is not None
    messages = read.prepared.messages
    declared = job.template.messages or {}
    source_tag = choose_source(messages, source=source, default_locale=job.locale)
    targets, skipped = plan_targets(messages, to)
    origin = read.origins.get(f"messages.{source_tag}", "inline")
    declared_source = declared.get(source_tag)
    as_file = isinstance(declared_source, str) and origin != "inline"
    outcome = Outcome(source=source_tag, skipped=dict(skipped))
    paths: dict[str, Path] = {}
    if as_file:
        folder, suffix = Path(origin).parent, _suffix(origin)
        for locale in list(targets):
            path = folder / f"{locale}{suffix}"
            if path.exists():
                outcome.failed[locale] = [
                    f"{path} exists and is not overwritten: add it to template.messages, or "
                    "move it away and run again"
                ]
                targets.remove(locale)
            else:
                paths[locale] = path
    if targets:
        with workspace_session(workspace) as (session, workspace_row, ctx):
            result = localize_catalogs(
                session,
                workspace_row,
                settings=ctx.settings,
                env=ProviderEnv.from_environ(os.environ),
                messages=messages,
                to=targets,
                source=source_tag,
                brand=brand or job.brand,
                provider=provider,
                model=model,
                preferred=job.provider,
                origins={tag: read.origins.get(f"messages.{tag}", "inline") for tag in messages},
            )
        outcome.keys = result.keys
        outcome.failed.update(result.failed)
        outcome.warnings = dict(result.warnings)
        outcome.usage = result.usage.to_data()
        outcome.writer = dict(result.writer)
        new = result.catalogs
    else:
        from brandloom.generation.localize import flatten

        outcome.keys = len(flatten(messages[source_tag]))
        new = {}
    if not new:
        return outcome
    if not as_file:
        outcome.inline = dict(new)
        return outcome
    entries: dict[str, str] = {}
    assert isinstance(declared_source, str)
    for locale, catalog in new.items():
        path = paths[locale]
        problem = write_catalog(path, catalog)
        if problem:
            outcome.failed[locale] = [problem]
            continue
        outcome.written[locale] = str(path)
        entries[locale] = str(PurePath(declared_source).with_name(path.name))
    if entries:
        outcome.spec_updated, lines = add_spec_entries(spec_path, entries)
        outcome.spec_lines = None if outcome.spec_updated else lines
        if outcome.spec_updated:
            read_spec_file(spec_path)  # the template with its new catalogs reads as before
    return outcome


def _suffix(origin: str) -> str:
    suffix = PurePath(origin).suffix.lower()
    return suffix if suffix in (".yaml", ".yml", ".json") else ".yaml"


def write_catalog(path: Path, catalog: Mapping[str, Any]) -> str | None:
    """Write a new catalog file (never over an existing one); None when written, else why
    not. The file is read back: what a template reads is what was checked."""
    from brandloom.templates.catalog_files import parse_catalog

    if path.suffix.lower() == ".json":
        data = orjson.dumps(catalog, option=orjson.OPT_INDENT_2) + b"\n"
    else:
        data = yaml.safe_dump(
            dict(catalog), allow_unicode=True, sort_keys=False, width=_YAML_WIDTH
        ).encode()
    if parse_catalog(data, str(path), str(path)) != catalog:
        return f"{path}: the catalog does not read back as written"
    try:
        with path.open("xb") as fh:
            fh.write(data)
    except FileExistsError:
        return f"{path} exists and is not overwritten"
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


# -- the spec's template.messages, edited in place --------------------------------------------


def _child(node: Any, key: str) -> Any:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _last_leaf(node: Any) -> Any:
    """The node whose end is the last character of a block collection's content."""
    while not getattr(node, "flow_style", False):
        if isinstance(node, yaml.MappingNode) and node.value:
            node = node.value[-1][1]
        elif isinstance(node, yaml.SequenceNode) and node.value:
            node = node.value[-1]
        else:
            break
    return node


def _pair(key: str, value: str, *, flow: bool) -> str:
    dumped = yaml.safe_dump(
        {key: value}, default_flow_style=flow, allow_unicode=True, width=_YAML_WIDTH
    ).strip()
    return dumped[1:-1] if flow else dumped


def spec_with_entries(text: str, entries: Mapping[str, str]) -> str | None:
    """``text`` (a spec) with ``entries`` added to ``template.messages`` and nothing else
    changed; None when that cannot be done safely (verified by parsing the result)."""
    try:
        root = yaml.compose(text)
        before = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    node = _child(_child(root, "template"), "messages")
    if not isinstance(node, yaml.MappingNode) or not node.value:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    if node.flow_style:
        close = node.end_mark.index - 1
        if text[close] != "}":
            return None
        added = "".join(f", {_pair(k, v, flow=True)}" for k, v in entries.items())
        edited = text[:close].rstrip() + added + text[close:]
    else:
        indent = node.value[0][0].start_mark.column
        end = _last_leaf(node.value[-1][1]).end_mark
        if end.column == 0:
            at = end.index
        else:
            found = text.find("\n", end.index)
            at = len(text) if found < 0 else found + 1
        head = text[:at] if at == 0 or text[at - 1] == "\n" else text[:at] + newline
        lines = "".join(
            " " * indent + _pair(k, v, flow=False) + newline for k, v in entries.items()
        )
        edited = head + lines + text[at:]
    try:
        after = yaml.safe_load(edited)
        got, had = after["template"].pop("messages"), before["template"].pop("messages")
    except (yaml.YAMLError, KeyError, TypeError, AttributeError):
        return None
    # exactly the new entries, last, and nothing else changed (an alias of the mapping, say)
    if not isinstance(got, dict) or not isinstance(had, dict):
        return None
    if got != {**had, **entries} or list(got)[-len(entries) :] != list(entries):
        return None
    if after != before:
        return None
    return edited


def add_spec_entries(spec_path: Path, entries: Mapping[str, str]) -> tuple[bool, str]:
    """Add ``entries`` to the spec file's ``template.messages`` (see :func:`spec_with_entries`):
    (whether the file was changed, the lines a person would add)."""
    lines = "\n".join(f"    {_pair(k, v, flow=False)}" for k, v in entries.items())
    raw = spec_path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False, lines
    edited = spec_with_entries(text, entries)
    if edited is None:
        return False, lines
    temp = spec_path.with_name(f".{spec_path.name}.localize.tmp")
    try:
        temp.write_bytes(edited.encode("utf-8"))
        shutil.copymode(spec_path, temp)
        os.replace(temp, spec_path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        return False, lines
    return True, lines


# -- output ---------------------------------------------------------------------------------


def _print(outcome: Outcome, spec: Path) -> None:
    table = Table(title=f"transcreated from {escape(outcome.source)} ({outcome.keys} keys)")
    table.add_column("locale", style="bold")
    table.add_column("result")
    table.add_column("keys", justify="right")
    table.add_column("warnings")
    locales = [*outcome.written, *outcome.inline, *outcome.skipped, *outcome.failed]
    for locale in dict.fromkeys(locales):
        if locale in outcome.failed:
            result, keys = "[red]failed[/]", "-"
        elif locale in outcome.skipped:
            result, keys = escape(outcome.skipped[locale]), "-"
        elif locale in outcome.written:
            result, keys = escape(f"written: {outcome.written[locale]}"), str(outcome.keys)
        else:
            result, keys = "inline: paste below", str(outcome.keys)
        warned = outcome.warnings.get(locale, [])
        table.add_row(escape(locale), result, keys, escape("\n".join(warned)) or "-")
    console.print(table)
    if outcome.writer:
        usage = outcome.usage
        cost = usage.get("cost_usd")
        console.print(
            f"writer: {escape(str(outcome.writer.get('provider')))}"
            + (f" ({escape(str(outcome.writer['model']))})" if outcome.writer.get("model") else "")
            + f" · {usage.get('calls', 0)} LLM calls, {usage.get('input_tokens', 0):,} + "
            f"{usage.get('output_tokens', 0):,} tokens" + (f", ${cost:.4f}" if cost else ""),
            highlight=False,
        )
    if outcome.spec_updated:
        console.print(
            f"{escape(str(spec))}: template.messages has the new catalogs", highlight=False
        )
    elif outcome.spec_lines:
        console.print(
            f"{escape(str(spec))} was not changed: add these lines under template.messages:",
            highlight=False,
        )
        console.print(outcome.spec_lines, markup=False, highlight=False)
    if outcome.inline:
        console.print(
            "the catalogs are inline in the spec: paste these under template.messages:",
            highlight=False,
        )
        pasted = yaml.safe_dump(
            outcome.inline, allow_unicode=True, sort_keys=False, width=_YAML_WIDTH
        )
        console.print(pasted.rstrip("\n"), markup=False, highlight=False)
    for locale, problems in outcome.failed.items():
        for problem in problems:
            err_console.print(f"failed {locale}: {problem}", markup=False, highlight=False)
