"""The ``brandloom`` command line. Each command runs services inside one unit of work."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from brandloom.cli.brands import brand_app, voice_app
from brandloom.cli.common import WorkspaceOpt, err_console
from brandloom.cli.common import run_or_exit as _run
from brandloom.cli.locales import locales as locales_command
from brandloom.cli.localize import localize_command
from brandloom.cli.prediction import experiment_app, predict_command
from brandloom.cli.write import brief_writer_for, provider_app, write_command
from brandloom.errors import BrandloomError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from brandloom.jobs.lifecycle import Dispatcher
    from brandloom.settings import Settings

app = typer.Typer(
    name="brandloom",
    help="Bulk personalized, QA-checked marketing documents from one template and an audience.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown reflows a docstring's paragraphs to the terminal's width (Rich mode keeps the
    # source's line breaks, so help wrapped mid-sentence on any other width).
    rich_markup_mode="markdown",
)
workspace_app = typer.Typer(
    help="Workspaces (tenants) and their API keys.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(workspace_app, name="workspace")
messages_app = typer.Typer(
    help="A template's message catalogs: the keys its parts read and each locale's coverage.",
    no_args_is_help=True,
)
app.add_typer(messages_app, name="messages")
app.command("locales")(locales_command)
app.add_typer(brand_app, name="brand")
app.add_typer(voice_app, name="voice")
app.add_typer(provider_app, name="provider")
app.command("write")(write_command)
app.command("predict")(predict_command)
app.add_typer(experiment_app, name="experiment")
app.command("localize")(localize_command)

# Messages are not wrapped by us (soft wrap): the terminal wraps them, a pipe keeps lines whole.
console = Console(soft_wrap=True)

T = TypeVar("T")

SpecArg = Annotated[Path, typer.Argument(help="The job spec (YAML).", show_default=False)]


def _workspace_brands(options: Any) -> Any:
    """The brands a spec names, from the workspace ``BRANDLOOM_WORKSPACE`` names (validate and
    preview check copy against them as a job would)."""
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.documents.flows import live_brands

    ctx = app_context()
    auth = ctx.operator(os.environ.get("BRANDLOOM_WORKSPACE"))
    with unit_of_work(ctx.factory) as session:
        return live_brands(session, auth.workspace, options)


@app.command()
def generate(
    spec: SpecArg,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="Output folder, or an s3://bucket/prefix location (BRANDLOOM_S3_* settings).",
        ),
    ],
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Worker processes (default: all cores)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the interrupted job in --out.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Start a new job in an --out that holds another job's outputs: they are "
            "deleted first (an unfinished job there is cancelled).",
        ),
    ] = False,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach",
            help="With a broker: enqueue the job, print its id and return at once.",
        ),
    ] = False,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            help="Who writes a `brief:` spec's template: offline, openai or anthropic (default: "
            "the spec's provider:, the brief's, the workspace's, else offline).",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The provider's model (brief: specs).")
    ] = None,
    regenerate: Annotated[
        bool,
        typer.Option(
            "--regenerate", help="Write a `brief:` spec's template anew instead of reusing it."
        ),
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget", min=0, help="Stop before writing a `brief:` spec's template costs more USD."
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Render every contact of the spec's audience into documents under --out.

    A spec with `brief:` instead of `template:` has its template (parts and one message
    catalog per locale of the brief) written first by the provider, with a handful of calls,
    and stored in the workspace: a rerun reuses it (`llm_calls: 0` in report.json).

    Without BRANDLOOM_BROKER_URL the job renders here on --workers processes. With it, the job's
    chunks are enqueued for `brandloom worker` processes and this command follows the job until
    it finishes. The workers write into --out: give them a folder they all see (same machine or
    a shared filesystem) or an s3:// location.
    """
    from brandloom.cli.context import app_context
    from brandloom.cli.generate import generate as run_generate
    from brandloom.cli.progress import ProgressReporter

    def go() -> None:
        ctx = app_context()
        auth = ctx.operator(workspace)
        distributed = _distributed(ctx.settings, ctx.factory)
        if detach and distributed is None:
            raise BrandloomError(
                "--detach needs a broker: set BRANDLOOM_BROKER_URL and run `brandloom worker`",
                code="cli.no_broker",
            )
        dispatcher, housekeeping = distributed or (None, None)
        with ProgressReporter(console) as reporter:
            result = run_generate(
                ctx.factory,
                database_url=ctx.database_url,
                workspace_name=auth.workspace.name,
                spec_path=spec,
                out_dir=out,
                workers=workers or os.cpu_count() or 1,
                resume=resume,
                force=force,
                on_start=reporter.start,
                on_progress=reporter.update,
                dispatcher=dispatcher,
                detach=detach,
                housekeeping=housekeeping,
                settings=ctx.settings,
                brief_writer=brief_writer_for(
                    ctx,
                    auth.workspace.name,
                    provider=provider,
                    model=model,
                    regenerate=regenerate,
                    budget_usd=budget,
                ),
            )
        if result.detached:
            console.print(result.job_id)
            err_console.print(
                f"job {result.job_id} enqueued; follow it with `brandloom status {result.job_id}"
                " --follow`"
            )
            return
        _print_report(result.report, result.out_dir)

    from brandloom.cli.progress import OutputClosed

    try:
        _run(go)
    except KeyboardInterrupt as exc:
        # A started job is paused (in-process or on workers) with its finished chunks committed.
        closed = isinstance(exc, OutputClosed)
        err_console.print(
            f"{'standard output closed' if closed else 'interrupted'}: a started job is paused; "
            f"continue it with `brandloom generate {escape(str(spec))} --out {escape(out)} "
            "--resume`",
            highlight=False,
        )
        raise typer.Exit(141 if closed else 130) from None


def _distributed(
    settings: Settings, factory: sessionmaker[Session]
) -> tuple[Dispatcher, Callable[[], object]] | None:
    """(dispatcher, lease housekeeping) when a broker is configured, else None."""
    if not settings.broker_url:
        return None
    from brandloom.workers.dispatch import CeleryDispatcher
    from brandloom.workers.leases import reap

    dispatcher = CeleryDispatcher(settings)
    lease = float(settings.chunk_lease_seconds)
    return dispatcher, lambda: reap(factory, dispatcher, lease_seconds=lease)


@app.command()
def status(
    job_id: Annotated[str, typer.Argument(help="The job id (printed by generate --detach).")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Wait until it stops.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Show a job's state and progress; with --follow, wait for it to finish."""
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.jobs import lifecycle
    from brandloom.jobs.service import get_job
    from brandloom.jobs.states import JobState

    def go() -> lifecycle.JobStatus:
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            get_job(session, auth.workspace, job_id=job_id)  # a job of another workspace: 404
        if not follow:
            return lifecycle.job_status(ctx.factory, job_id)
        distributed = _distributed(ctx.settings, ctx.factory)

        def show(st: lifecycle.JobStatus) -> None:
            if not as_json:
                err_console.print(
                    f"{st.state}: {st.items_done:,}/{st.items_total:,} {_items(st.kind)}, "
                    f"{st.chunks_done}/{st.chunks_total} chunks",
                    highlight=False,
                )

        return lifecycle.follow_job(
            ctx.factory,
            job_id,
            on_progress=show,
            housekeeping=distributed[1] if distributed else None,
        )

    st = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(_status_json(st), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        console.print(
            f"{st.job_id}: {st.state} — {st.items_done:,}/{st.items_total:,} {_items(st.kind)}, "
            f"{st.documents_done:,} documents" + (f"\n{escape(st.error)}" if st.error else ""),
            highlight=False,
        )
    if follow and st.state != JobState.DONE:
        raise typer.Exit(1)


@app.command("jobs")
def list_jobs(
    state: Annotated[
        str | None, typer.Option(help="Only jobs in this state (queued, running, ...).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Only jobs with exactly this name.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the jobs as JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """List the workspace's jobs of every kind, newest first."""
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.jobs.service import list_jobs as list_workspace_jobs
    from brandloom.jobs.states import JobState

    if state is not None and state not in {s.value for s in JobState}:
        err_console.print(
            f"error: --state: not a job state: {escape(repr(state))} "
            f"(one of {', '.join(s.value for s in JobState)})",
            highlight=False,
        )
        raise typer.Exit(2)

    def go() -> list[Any]:
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            rows, _ = list_workspace_jobs(
                session, auth.workspace, limit=limit, state=state, name=name
            )
            return rows

    rows = _run(go)
    if as_json:
        items = [
            {
                "job_id": r.id,
                "kind": r.kind,
                "name": r.name,
                "state": r.state,
                "items_total": r.items_total,
                "items_done": r.items_done,
                "error": r.error,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]
        sys.stdout.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table()
    for column in ("id", "kind", "name", "state", "progress", "created"):
        # ids are what people copy from here: never shortened
        table.add_column(column, no_wrap=column in ("id", "kind", "state"))
    for r in rows:
        table.add_row(
            r.id,
            r.kind,
            r.name,
            r.state,
            f"{r.items_done:,}/{r.items_total:,}",
            r.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


def _items(kind: str) -> str:
    """What a job's items are, for people: contacts of a render, files of an import."""
    return {"documents.render": "contacts", "audiences.import": "files"}.get(kind, "items")


def _status_json(st: Any) -> dict[str, Any]:
    """``status --json``: the job's counters under their documented names."""
    return {
        "job_id": st.job_id,
        "kind": st.kind,
        "state": st.state,
        "contacts_total": st.items_total,
        "contacts_done": st.items_done,
        "chunks_total": st.chunks_total,
        "chunks_done": st.chunks_done,
        "documents_done": st.documents_done,
        "error": st.error,
        "report": st.report,
    }


def _print_warnings(target: Console, warnings: Iterable[dict[str, str]]) -> None:
    for warning in warnings:
        target.print(f"warning ({warning['code']}): {warning['message']}", markup=False)


def _print_report(report: dict[str, Any], out: Path | str) -> None:
    table = Table(
        title=escape(f"{report.get('name', 'job')} — {report.get('job_id', '')}"),
        show_header=False,
    )
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("rows read", f"{report['rows_read']:,}")
    table.add_row("accepted / rejected", f"{report['accepted']:,} / {report['rejected']:,}")
    docs = ", ".join(f"{fmt} {n:,}" for fmt, n in report["documents"].items())
    table.add_row("documents", docs)
    qa = report["qa"]
    table.add_row(
        "QA", f"passed {qa['passed']:,} · warned {qa['warned']:,} · failed {qa['failed']:,}"
    )
    top = sorted(qa["by_code"].items(), key=lambda kv: -kv[1])[:5]
    if top:
        table.add_row("top QA issues", ", ".join(f"{c} {n:,}" for c, n in top))
    rate = report.get("docs_per_minute")
    table.add_row(
        "time", f"{report['elapsed_s']:.2f} s" + (f" · {rate:,.0f} docs/min" if rate else "")
    )
    table.add_row("output", Text(str(out)))
    console.print(table)
    _print_warnings(err_console, report.get("warnings", ()))


@app.command()
def validate(spec: SpecArg) -> None:
    """Check the template and the audience and show three previews; writes nothing."""
    from brandloom.cli.generate import validate as run_validate

    summary = _run(lambda: run_validate(spec, brands=_workspace_brands))
    failed = [p for p in summary.previews if p["qa"]["status"] == "fail"]
    problems = []
    if summary.rejected:
        problems.append(f"{summary.rejected:,} of {summary.rows_read:,} rows rejected")
    if failed:
        problems.append(f"{len(failed)} of {len(summary.previews)} previews failed QA")
    # The first line is the verdict: a person (or a script reading it) sees what failed first.
    verdict = "[bold yellow]warning[/]" if problems else "[bold green]ok[/]"
    console.print(
        f"{verdict}: {escape('; '.join(problems) or 'every row accepted, previews pass QA')}",
        highlight=False,
    )
    console.print(
        f"engine {summary.engine}, {summary.rows_read:,} rows: "
        f"{summary.accepted:,} accepted, {summary.rejected:,} rejected",
        highlight=False,
    )
    for code, count in summary.rejected_by_code.items():
        console.print(f"  rejected {escape(code)}: {count:,}", highlight=False)
    _print_warnings(console, summary.warnings)
    console.print(Text(f"variables: {', '.join(summary.variables)}"))
    if summary.variants:
        console.print(Text(f"variants: {', '.join(summary.variants)}"))
    for item in summary.previews:
        variant = f", variant {item['variant']}" if item["variant"] is not None else ""
        console.rule(escape(f"preview: {item['key']} (row {item['row']}{variant})"))
        parts = item["parts"]
        console.print(Text.assemble(("subject", "bold"), ": ", parts.get("subject", "")))
        console.print(Text(_preview_body(item)[:600]))
        qa = item["qa"]
        status = Text(qa["status"], style="red" if qa["status"] == "fail" else "")
        console.print(Text.assemble(("QA", "bold"), ": ", status))
        for issue in qa["issues"]:
            console.print(Text(f"  {issue['severity']} {issue['code']}: {issue['message']}"))


def _preview_body(item: dict[str, Any]) -> str:
    """A preview's body as text: the text part (given or derived from the HTML), else what
    the template has."""
    parts, files = item["parts"], item["files"]
    for name in ("text", "markdown", "sms"):
        if parts.get(name):
            return str(parts[name]).strip()
    for fmt in ("txt", "md", "sms"):
        if files.get(fmt):
            return bytes(files[fmt]).decode("utf-8", "replace").strip()
    if parts.get("html"):
        from brandloom.kit.text import strip_html

        return strip_html(str(parts["html"])).strip()
    return ""


@app.command()
def preview(
    spec: SpecArg,
    contact: Annotated[str, typer.Option("--contact", "-c", help="The contact's key.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, txt, md, sms or eml.")] = "html",
) -> None:
    """Print one contact's document in one format to standard output."""
    from brandloom.cli.generate import preview as run_preview

    item = _run(lambda: run_preview(spec, key=contact, brands=_workspace_brands))
    data = item["files"].get(fmt)
    if data is None:
        err_console.print(
            f"[bold red]error[/]: format '{escape(fmt)}' is not among the spec's outputs"
        )
        raise typer.Exit(2)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    qa = item["qa"]
    if qa["issues"]:
        err_console.print(
            Text(
                f"QA {qa['status']}: "
                + "; ".join(f"{i['code']}: {i['message']}" for i in qa["issues"])
            )
        )


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Argument(help="Workspace name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a workspace and print its API key (shown once; only its hash is stored)."""
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.workspaces.service import create_workspace

    def go() -> tuple[str, str]:
        with unit_of_work(app_context().factory) as session:
            issued = create_workspace(session, name=name)
            return issued.workspace.id, issued.api_key

    workspace_id, api_key = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps({"workspace_id": workspace_id, "api_key": api_key}).decode())
        sys.stdout.write("\n")
        return
    console.print(f"workspace [bold]{escape(name)}[/] ({workspace_id})")
    console.print(f"API key (shown once, store it now): [bold]{api_key}[/]", highlight=False)


@workspace_app.command("keys")
def workspace_keys(
    name: Annotated[str, typer.Argument(help="Workspace name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List a workspace's API keys (id, name, prefix, scopes, created, revoked); never the keys."""
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.workspaces.service import list_keys

    def go() -> list[dict[str, Any]]:
        ctx = app_context()
        auth = ctx.operator(name)
        with unit_of_work(ctx.factory) as session:
            return [
                {
                    "id": k.id,
                    "name": k.name,
                    "prefix": k.prefix + "…",
                    "scopes": k.scopes,
                    "created_at": k.created_at.isoformat(timespec="seconds"),
                    "revoked_at": k.revoked_at.isoformat(timespec="seconds")
                    if k.revoked_at
                    else "",
                }
                for k in list_keys(session, auth)
            ]

    rows = _run(go)
    if as_json:
        for row in rows:
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
        return
    table = Table("id", "name", "prefix", "scopes", "created", "revoked")
    for row in rows:
        table.add_row(
            row["id"],
            row["name"],
            row["prefix"],
            ",".join(row["scopes"]),
            row["created_at"],
            row["revoked_at"],
        )
    console.print(table)


@workspace_app.command("issue-key")
def workspace_issue_key(
    name: Annotated[str, typer.Argument(help="Workspace name.")],
    key_name: Annotated[str, typer.Option("--name", help="A label for the key.")] = "default",
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help="Comma-separated scopes, e.g. jobs:read,audiences:read ('*': every scope).",
        ),
    ] = "*",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue another API key for a workspace (shown once), e.g. to rotate keys or to give a
    client only some scopes."""
    from brandloom.auth import parse_scopes
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.workspaces.schemas import KeyIssued
    from brandloom.workspaces.service import issue_key

    def go() -> KeyIssued:
        wanted = parse_scopes(scopes.split(","))  # unknown names: exit 2 before anything is written
        ctx = app_context()
        auth = ctx.operator(name)
        with unit_of_work(ctx.factory) as session:
            return KeyIssued.of(issue_key(session, auth, name=key_name, scopes=wanted))

    issued = _run(go)
    if as_json:
        sys.stdout.write(issued.model_dump_json() + "\n")
        return
    err_console.print(f"key {issued.key_id} with scopes {','.join(issued.scopes)}", highlight=False)
    console.print(f"API key (shown once, store it now): [bold]{issued.api_key}[/]", highlight=False)


@workspace_app.command("revoke-key")
def workspace_revoke_key(
    name: Annotated[str, typer.Argument(help="Workspace name.")],
    key_id: Annotated[str, typer.Argument(help="The key's id (see `workspace keys`).")],
) -> None:
    """Revoke an API key at once, in every API process (through the shared cache)."""
    from brandloom.cache import open_cache
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.workspaces.service import revoke_key

    def go() -> None:
        ctx = app_context()
        auth = ctx.operator(name)
        cache = open_cache(ctx.settings)
        with unit_of_work(ctx.factory) as session:
            revoke_key(session, auth, key_id=key_id, cache=cache)

    _run(go)
    console.print(f"revoked {key_id}")


@messages_app.command("extract")
def messages_extract(
    spec: SpecArg,
    pot: Annotated[
        Path | None,
        typer.Option("--pot", help="Also write the keys as a gettext template (.pot) here."),
    ] = None,
) -> None:
    """List the message keys the template's parts read, where, and the default locale's text."""
    from brandloom.cli.messages import catalog_report, pot_file

    report = _run(lambda: catalog_report(spec))
    table = Table(title=f"message keys ({len(report.keys)})")
    table.add_column("key", style="bold")
    table.add_column("read in")
    table.add_column(f"text ({report.default_locale})")
    for use in report.keys:
        table.add_row(escape(use.key), escape(", ".join(use.parts)), escape(use.source or ""))
    console.print(table)
    if pot is not None:
        pot.write_bytes(pot_file(report))
        console.print(f"wrote {pot} ({len(report.keys)} entries)", markup=False, highlight=False)


@messages_app.command("check")
def messages_check(spec: SpecArg) -> None:
    """Each locale's catalog against the keys the parts read; exit 1 when something is wrong."""
    from brandloom.cli.messages import catalog_report

    report = _run(lambda: catalog_report(spec))
    total = len(report.keys)
    table = Table(title=f"catalog coverage ({total} keys read by the template)")
    table.add_column("locale", style="bold")
    table.add_column("file")
    table.add_column("keys", justify="right")
    table.add_column("missing")
    table.add_column("not read by the template")
    for cov in report.locales:
        table.add_row(
            escape(cov.locale),
            escape(cov.origin),
            f"{cov.present}/{total}",
            escape(", ".join(cov.missing)) or "-",
            escape(", ".join(cov.unused)) or "-",
        )
    console.print(table)
    for problem in report.problems:
        err_console.print(f"problem: {problem}", markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print("every catalog holds every key, with the same placeholders", highlight=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("demo-output"),
    contacts: Annotated[int, typer.Option(help="How many synthetic contacts.", min=10)] = 10_000,
    workers: Annotated[int | None, typer.Option("--workers", "-j", min=1)] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Generate the bundled demo: a brand, multilingual contacts, a template with a variant."""
    from brandloom.cli.context import app_context
    from brandloom.cli.generate import generate as run_generate
    from brandloom.cli.progress import ProgressReporter
    from brandloom.db.engine import unit_of_work
    from brandloom.demo.brand import save_demo_brand
    from brandloom.demo.data import write_demo

    def go() -> None:
        out_dir = out.resolve()
        inputs = out_dir / "inputs"
        if out_dir.exists() and any(out_dir.iterdir()) and not inputs.exists():
            from brandloom.errors import ConflictError

            raise ConflictError(f"{out_dir} is not empty and is not a previous demo output")
        ctx = app_context()
        auth = ctx.operator(workspace)
        spec_path = write_demo(inputs, count=contacts)
        with unit_of_work(ctx.factory) as session:
            # the brand the demo's spec names (its kit dresses the e-mail, PDF and DOCX)
            save_demo_brand(session, session.merge(auth.workspace), folder=inputs)
        documents = out_dir / "documents"
        console.print(Text(f"demo inputs: {inputs} (contacts.csv, email.html, spec.yaml)"))
        with ProgressReporter(console) as reporter:
            result = run_generate(
                ctx.factory,
                database_url=ctx.database_url,
                workspace_name=auth.workspace.name,
                spec_path=spec_path,
                out_dir=documents,
                workers=workers or os.cpu_count() or 1,
                force=True,  # a demo run replaces the previous demo's documents
                on_start=reporter.start,
                on_progress=reporter.update,
            )
        _print_report(result.report, documents)
        console.print(
            Text(
                f"open {documents / 'html'} for e-mails, {documents / 'manifest.jsonl'} "
                "for every contact's outcome, rejected.csv for the rows the import refused."
            )
        )

    _run(go)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-j", min=1, help="Render processes for in-process jobs (no broker)."
        ),
    ] = None,
    http_workers: Annotated[
        int,
        typer.Option("--http-workers", min=1, help="API server processes (one per core)."),
    ] = 1,
) -> None:
    """Run the REST API (OpenAPI docs at /docs)."""
    import uvicorn

    from brandloom.cli.context import app_context
    from brandloom.observability.logging import configure_logging

    ctx = _run(app_context)  # migrates once, before any server process starts
    settings = ctx.settings
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    if not settings.broker_url:
        from brandloom.db.engine import unit_of_work
        from brandloom.jobs.service import recover_interrupted_jobs

        with unit_of_work(ctx.factory) as session:
            recover_interrupted_jobs(session)
    if workers is not None:
        os.environ["BRANDLOOM_JOB_WORKERS"] = str(workers)
    # Our middleware writes the access log (with request ids); uvicorn keeps our log format.
    uvicorn.run(
        "brandloom.api.app:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=http_workers,
        log_config=None,
        access_log=False,
    )


def _change_state(job_id: str, change: str, workspace: str | None) -> None:
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work
    from brandloom.jobs import lifecycle
    from brandloom.jobs.service import get_job

    def go() -> str:
        ctx = app_context()
        auth = ctx.operator(workspace)
        with unit_of_work(ctx.factory) as session:
            job = get_job(session, auth.workspace, job_id=job_id)
            if change == "pause":
                lifecycle.pause_job(session, job)
            else:
                lifecycle.cancel_job(session, job)
            return job.state

    console.print(Text(f"{job_id}: {_run(go)}"))


@app.command()
def pause(
    job_id: Annotated[str, typer.Argument(help="The job id.")], workspace: WorkspaceOpt = None
) -> None:
    """Pause a job: workers finish the chunks in hand and take no more (resume continues it)."""
    _change_state(job_id, "pause", workspace)


@app.command()
def cancel(
    job_id: Annotated[str, typer.Argument(help="The job id.")], workspace: WorkspaceOpt = None
) -> None:
    """Cancel a job: no more chunks are rendered; finished outputs stay where they are."""
    _change_state(job_id, "cancel", workspace)


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-c", min=1, help="Render processes (default: all cores)."),
    ] = None,
    metrics_port: Annotated[
        int,
        typer.Option("--metrics-port", min=0, help="Serve Prometheus metrics here (0: off)."),
    ] = 9102,
    queues: Annotated[
        str | None,
        typer.Option("--queues", "-Q", help="Queues to consume (default: BRANDLOOM_BROKER_QUEUE)."),
    ] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="Log level.")] = "INFO",
) -> None:
    """Run a Celery worker that renders job chunks (needs BRANDLOOM_BROKER_URL)."""
    from brandloom.cli.context import app_context

    ctx = _run(app_context)  # migrates the database before any task runs
    if not ctx.settings.broker_url:
        err_console.print(
            "[bold red]error[/] (cli.no_broker): set BRANDLOOM_BROKER_URL "
            "(e.g. redis://127.0.0.1:6379/1 or amqp://guest:guest@127.0.0.1:5672//)"
        )
        raise typer.Exit(2)
    import tempfile

    # Prometheus multiprocess mode must be set before Python starts: the worker is exec'd.
    metrics_dir = tempfile.mkdtemp(prefix="brandloom-metrics-")
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "BRANDLOOM_WORKER_METRICS_PORT": str(metrics_port),
    }
    argv = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "brandloom.workers.tasks",
        "worker",
        "--concurrency",
        str(concurrency or os.cpu_count() or 1),
        "--queues",
        queues or ctx.settings.broker_queue,
        "--loglevel",
        loglevel.upper(),
        "--hostname",
        f"brandloom-{os.getpid()}@%h",
        "--prefetch-multiplier",
        "1",
        "--without-gossip",
        "--without-mingle",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # noqa: S606 - argv is fixed, no shell


@app.command()
def analyze(
    input_path: Annotated[
        str,
        typer.Option(
            "--input",
            "-i",
            help="Texts: .csv/.tsv with a `text` column, else one text per line; `-` for stdin.",
        ),
    ],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One JSON object per text instead of a table.")
    ] = False,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            "-l",
            help="The audience's locale (de-DE): a language prior; adds the culture checks.",
        ),
    ] = None,
    languages: Annotated[
        str | None,
        typer.Option(
            "--languages",
            help="Candidate languages, comma-separated ISO 639-1 codes (default: 28 languages).",
        ),
    ] = None,
    targets: Annotated[
        str | None,
        typer.Option(
            "--targets",
            help="Emotions and motivators to score resonance against, comma-separated.",
        ),
    ] = None,
    formality: Annotated[
        str | None,
        typer.Option("--formality", help="formal | informal: the register the copy must use."),
    ] = None,
) -> None:
    """Analyse texts: language, sentiment, emotions, motivators, readability, spam likelihood;
    with `--locale`, what does not fit the locale's culture. Every input line (blank ones too)
    gives exactly one result, in input order."""
    from brandloom.cli.analyze import batches, table
    from brandloom.cli.progress import OutputClosed, say
    from brandloom.cli.textinput import read_texts
    from brandloom.insights.service import analyze_texts, options

    def split(value: str | None) -> list[str]:
        return [part.strip() for part in (value or "").split(",") if part.strip()]

    def go() -> None:
        checked = options(
            locale=locale,
            targets=split(targets),
            languages=split(languages) or None,
            formality=formality,
        )
        number = 0
        for batch in batches(read_texts(input_path)):
            items = analyze_texts(batch, checked=checked)
            if jsonl:
                for item in items:
                    say(orjson.dumps(item).decode())
            else:
                rows = [
                    (number + i + 1, text, item)
                    for i, (text, item) in enumerate(zip(batch, items, strict=True))
                ]
                console.print(table(rows))
            number += len(batch)

    if formality not in (None, "formal", "informal"):
        err_console.print(
            f"[bold red]error[/]: --formality must be formal or informal, not {escape(formality)!r}"
        )
        raise typer.Exit(2)
    try:
        _run(go)
    except OutputClosed:
        raise typer.Exit(141) from None


@app.command()
def models() -> None:
    """The trained models that ship with brandloom: name, size and their model cards."""
    from brandloom.analysis.artifacts import models_dir, shipped

    grid = Table(highlight=False)
    grid.add_column("model")
    grid.add_column("size", justify="right")
    grid.add_column("model card")
    for entry in shipped():
        card = models_dir() / f"{entry['name']}.md"
        grid.add_row(
            entry["name"], f"{entry['bytes'] / 1e6:.1f} MB", str(card) if card.is_file() else "-"
        )
    console.print(grid)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
