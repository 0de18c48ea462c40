"""``brandloom write BRIEF.yaml`` and ``brandloom provider ...``: copy from a brief, and the
LLM providers a workspace writes with (keys stored encrypted, never printed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brandloom.cli.common import WorkspaceOpt, err_console, workspace_session
from brandloom.cli.common import run_or_exit as _run

provider_app = typer.Typer(
    help="LLM providers: keys (stored encrypted), models, fallback order, budgets.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
console = Console(soft_wrap=True)

ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "--provider",
        "-p",
        help="offline, openai or anthropic (default: the brief's provider:, else the "
        "workspace's default, else offline).",
    ),
]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="The provider's model.")]


def write_command(
    brief: Annotated[Path, typer.Argument(help="The brief (YAML or JSON).", show_default=False)],
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    n: Annotated[
        int | None, typer.Option("--n", min=1, max=10, help="Candidates per channel and locale.")
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option("--budget", min=0, help="Stop before this call's LLM cost passes USD."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The offline writer's seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write copy from a brief: N candidates per channel and locale, scored (brand
    consistency, emotional resonance, culture, readability, limits) and ranked. Exit 2 when
    no provider can be used."""
    from brandloom.generation.brief import load_brief_file
    from brandloom.generation.service import ProviderEnv, write

    def go() -> dict[str, Any]:
        parsed = load_brief_file(brief)
        _warm_up(parsed)  # the models load while the database is opened and the copy written
        with workspace_session(workspace) as (session, workspace_row, ctx):
            return write(
                session,
                workspace_row,
                settings=ctx.settings,
                env=ProviderEnv.from_environ(os.environ),
                brief=parsed,
                provider=provider,
                model=model,
                n=n,
                budget_usd=budget,
                seed=seed,
            )

    result = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _print_best(result)


def _warm_up(brief: Any) -> None:
    import threading

    from brandloom.analysis.resonance import EMOTIONS
    from brandloom.generation.scoring import warm_up
    from brandloom.kit.locale import language_of

    languages = sorted({language_of(loc) for loc in brief.locales})
    emotions = any(target in EMOTIONS for target in brief.target_emotions)
    # not a daemon: a process must never exit while a model library is loading (it aborts)
    threading.Thread(target=warm_up, args=(languages,), kwargs={"emotions": emotions}).start()


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(f"• {escape(str(v))}" for v in value)
    return escape(str(value))


def _print_best(result: dict[str, Any]) -> None:
    writer = result["writer"]
    note = None
    for key, index in result["best"].items():
        candidate = result["candidates"][index]
        note = note or candidate["writer"].get("note")
        rivals = sum(
            1
            for c in result["candidates"]
            if (c["channel"], c["locale"]) == (candidate["channel"], candidate["locale"])
        )
        table = Table(
            title=f"{escape(key.replace('|', ' · '))}  (best of {rivals})",
            show_header=False,
            title_justify="left",
            expand=False,
        )
        table.add_column("part", style="bold")
        table.add_column("text", overflow="fold", max_width=90)
        for part, value in candidate["content"].items():
            table.add_row(part, _cell(value))
        res = candidate["emotional_resonance"]["overall"]
        scores = [
            f"brand {candidate['brand_consistency']:.0f}"
            if candidate["brand_consistency"] is not None
            else "brand –",
            f"resonance {res:.2f}" if res is not None else "resonance –",
            f"grade {candidate['scores']['readability'].get('grade', '–')}",
        ]
        table.add_row("scores", " · ".join(scores))
        table.add_row("why", escape(result["reasons"].get(key, "")))
        if candidate["problems"]:
            table.add_row(
                "problems",
                "\n".join(escape(f"{p['code']}: {p['message']}") for p in candidate["problems"]),
            )
        console.print(table)
    usage = result["usage"]
    cost = usage.get("cost_usd")
    console.print(
        f"writer: {escape(writer['provider'])}"
        + (f" ({escape(writer['model'])})" if writer.get("model") else "")
        + f" · {usage['calls']} LLM calls, {usage['input_tokens']:,} + {usage['output_tokens']:,} "
        f"tokens" + (f", ${cost:.4f}" if cost else ""),
        highlight=False,
    )
    if note:
        console.print(f"[dim]{escape(note)}[/]", highlight=False)
    if result["rejected"]:
        err_console.print(
            f"{len(result['rejected'])} candidates were rejected by the safety checks "
            "(see --json: rejected)",
            highlight=False,
        )


# -- provider ------------------------------------------------------------------------------


@provider_app.command("set")
def provider_set(
    name: Annotated[str, typer.Argument(help="openai or anthropic.", show_default=False)],
    model: ModelOpt = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="An OpenAI-compatible server (vLLM, Ollama, ...)."),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            "--api-key-env",
            help="Store the key held by this environment variable (encrypted); keys are never "
            "given on the command line.",
        ),
    ] = None,
    api_key_stdin: Annotated[
        bool, typer.Option("--api-key-stdin", help="Read the key to store from stdin.")
    ] = False,
    clear_key: Annotated[bool, typer.Option("--clear-key", help="Forget the stored key.")] = False,
    input_price: Annotated[
        float | None, typer.Option("--input-price", help="USD per million input tokens.")
    ] = None,
    output_price: Annotated[
        float | None, typer.Option("--output-price", help="USD per million output tokens.")
    ] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds per call.")] = None,
    position: Annotated[
        int | None, typer.Option("--position", help="Order in the fallback chain (0 first).")
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Make it the workspace's default writer.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add or change a provider of the workspace."""
    from brandloom.errors import ValidationFailed
    from brandloom.generation import service

    def go() -> dict[str, Any]:
        key: str | None = None
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise ValidationFailed(f"--api-key-env: {api_key_env} is not set or empty")
        elif api_key_stdin:
            key = sys.stdin.readline().strip()
            if not key:
                raise ValidationFailed("--api-key-stdin: no key on stdin")
        prices = None
        if input_price is not None or output_price is not None:
            prices = {
                k: v
                for k, v in (("input_per_mtok", input_price), ("output_per_mtok", output_price))
                if v is not None
            }
        with workspace_session(workspace) as (session, workspace_row, ctx):
            row = service.set_provider(
                session,
                workspace_row,
                settings=ctx.settings,
                name=name,
                model=model,
                base_url=base_url,
                api_key=key,
                clear_key=clear_key,
                prices=prices,
                timeout_s=timeout,
                position=position,
            )
            if default:
                service.update_llm_settings(session, workspace_row, default_provider=row.name)
            return {"name": row.name, "model": row.model, "has_key": bool(row.api_key_encrypted)}

    saved = _run(go)
    console.print(
        f"provider [bold]{saved['name']}[/] saved"
        + (f", model {escape(saved['model'])}" if saved["model"] else "")
        + (", key stored (encrypted)" if saved["has_key"] else ", no stored key")
        + (", the workspace's default" if default else ""),
        highlight=False,
    )


@provider_app.command("list")
def provider_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """The workspace's providers in fallback order, its default and budget, and this month's
    usage (keys are never shown)."""
    from brandloom.generation import service
    from brandloom.generation.schemas import providers_overview

    def go() -> dict[str, Any]:
        with workspace_session(workspace) as (session, workspace_row, _):
            return providers_overview(session, workspace_row, service=service)

    data = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
        return
    table = Table("provider", "model", "base URL", "key", "timeout")
    for row in data["providers"]:
        table.add_row(
            row["name"],
            escape(row["model"] or "(default)"),
            escape(row["base_url"] or "–"),
            "stored" if row["has_key"] else "environment",
            f"{row['timeout_s']:g} s",
        )
    console.print(table)
    month = data["usage_this_month"]
    budget = data["monthly_budget_usd"]
    console.print(
        f"default writer: {data['default_provider'] or 'offline'} · this month: "
        f"{month['calls']} calls, ${month['cost_usd'] or 0:.4f}"
        + (f" of ${budget:.2f}" if budget is not None else " (no budget)"),
        highlight=False,
    )


@provider_app.command("remove")
def provider_remove(
    name: Annotated[str, typer.Argument(help="openai or anthropic.", show_default=False)],
    workspace: WorkspaceOpt = None,
) -> None:
    """Remove a provider and its stored key."""
    from brandloom.generation import service

    def go() -> None:
        with workspace_session(workspace) as (session, workspace_row, _):
            service.remove_provider(session, workspace_row, name=name)

    _run(go)
    console.print(f"provider {escape(name)} removed", highlight=False)


@provider_app.command("default")
def provider_default(
    name: Annotated[str, typer.Argument(help="offline, openai or anthropic.", show_default=False)],
    workspace: WorkspaceOpt = None,
) -> None:
    """Choose the workspace's default writer."""
    from brandloom.generation import service

    def go() -> None:
        with workspace_session(workspace) as (session, workspace_row, _):
            service.update_llm_settings(session, workspace_row, default_provider=name)

    _run(go)
    console.print(f"default writer: {escape(name.strip().lower())}", highlight=False)


@provider_app.command("budget")
def provider_budget(
    usd: Annotated[
        float | None, typer.Option("--usd", min=0, help="Monthly LLM budget in USD.")
    ] = None,
    tokens: Annotated[
        int | None, typer.Option("--tokens", min=0, help="Monthly token budget.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="No budget.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Set the workspace's monthly LLM budget: calls that would pass it are not sent."""
    from brandloom.generation import service

    def go() -> None:
        with workspace_session(workspace) as (session, workspace_row, _):
            service.update_llm_settings(
                session,
                workspace_row,
                monthly_budget_usd=usd,
                monthly_budget_tokens=tokens,
                clear_budget=clear,
            )

    _run(go)
    console.print("budget saved", highlight=False)


# -- single-query bulk ---------------------------------------------------------------------


def brief_writer_for(
    ctx: Any,
    workspace_name: str | None,
    *,
    provider: str | None,
    model: str | None,
    regenerate: bool,
    budget_usd: float | None = None,
) -> Any:
    """What ``generate`` calls for a spec with ``brief:``: the template is written (or the
    stored one reused) in the workspace, and the spec gets it inline (``cli.specfile``)."""
    from brandloom.audiences.reader import open_audience
    from brandloom.db.engine import unit_of_work
    from brandloom.documents.spec import JobSpec, SpecError, TemplateSpec, VariantSpec
    from brandloom.documents.spec import resolve_path as resolve_spec_path
    from brandloom.generation.brief import load_brief_file, parse_brief
    from brandloom.generation.flows import template_for_brief
    from brandloom.generation.service import ProviderEnv
    from brandloom.workspaces.service import resolve_workspace

    def write(spec: JobSpec, base: Path, options: Any) -> tuple[JobSpec, dict[str, Any]]:
        value = spec.brief
        if isinstance(value, str):
            brief = load_brief_file(resolve_spec_path(value, base))
        else:
            brief = parse_brief(value, source="brief")
        if spec.audience.path is None:
            raise SpecError("audience.path is required")
        reader = open_audience(resolve_spec_path(spec.audience.path, base), options)
        variables = list(reader.variables)
        with unit_of_work(ctx.factory) as session:
            workspace = resolve_workspace(session, name=workspace_name)
            written = template_for_brief(
                session,
                workspace,
                settings=ctx.settings,
                env=ProviderEnv.from_environ(os.environ),
                options=spec,
                brief=brief,
                variables=variables,
                provider=provider,
                model=model,
                preferred=spec.provider or brief.provider,
                regenerate=regenerate,
                unsubscribe_source=spec.email.unsubscribe_url,
                budget_usd=budget_usd,
            )
        template = TemplateSpec(engine="jinja", **written.parts, messages=written.messages)
        update: dict[str, Any] = {"template": template}
        if not spec.variants:
            update["variants"] = [
                VariantSpec.model_validate({"name": name, **parts})
                for name, parts in written.variants.items()
            ]
        if "locale" not in spec.model_fields_set:
            update["locale"] = brief.locales[0]  # the catalog other contacts fall back to
        return spec.model_copy(update=update), {
            **written.report(),
            "warnings": written.warnings,
        }

    return write
