"""``brandloom predict`` and ``brandloom experiment ...``: how texts will perform, and A/B/n
experiments (analysis, stored experiments, results, allocation)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brandloom.cli.common import WorkspaceOpt, workspace_session
from brandloom.cli.common import run_or_exit as _run

experiment_app = typer.Typer(
    help="A/B/n experiments: Bayesian analysis with a decision rule, stored experiments, "
    "results, Thompson/UCB allocation.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
console = Console(soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PriorOpt = Annotated[
    str | None, typer.Option("--prior", help="A Beta(a,b) prior as a,b (default 1,1: uniform).")
]
ProbBestOpt = Annotated[
    float,
    typer.Option("--prob-best", min=0.5, max=0.9999, help="Probability to be best to declare."),
]
LossOpt = Annotated[
    float,
    typer.Option(
        "--loss",
        min=0.0001,
        max=0.5,
        help="Expected loss allowed, relative to the winner's posterior CTR.",
    ),
]


def _jsonl(rows: Any) -> None:
    for row in rows:
        sys.stdout.write(orjson.dumps(row).decode() + "\n")


def _prior(value: str | None) -> tuple[float, float] | None:
    from brandloom.prediction.service import ExperimentError, check_prior

    if value is None:
        return None
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        raise ExperimentError(f"--prior: {value!r}; give two numbers a,b") from None
    return check_prior(parts)


def predict_command(
    input: Annotated[
        str, typer.Option("--input", "-i", help="A .csv/.tsv file, else one text per line; -.")
    ],
    column: Annotated[
        str, typer.Option("--column", "-c", help="The CSV column to score.")
    ] = "text",
    pairs: Annotated[
        bool,
        typer.Option("--pairs", help="Rank the texts of each group (--group-column) instead."),
    ] = False,
    group_column: Annotated[
        str | None, typer.Option("--group-column", help="The column that groups rival texts.")
    ] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Predict how each text (headline, subject line, post) will perform: a `score` (the
    expected engagement lift over a typical rival, in log-odds of the click rate) and its
    `uncertainty`; with --pairs, the winner of each group and its win probability."""
    from brandloom.cli.textinput import read_columns, read_texts
    from brandloom.errors import ValidationFailed
    from brandloom.prediction import service

    def go() -> list[dict[str, Any]]:
        if pairs:
            if not group_column:
                raise ValidationFailed("--pairs needs --group-column", code="cli.usage")
            groups: dict[str, list[str]] = {}
            for text, group in read_columns(input, column, group_column):
                groups.setdefault(group, []).append(text)
            with workspace_session(workspace) as (session, workspace_row, _):
                return service.rank_groups(session, workspace_row, groups=groups)
        texts = list(read_texts(input, column=column))
        with workspace_session(workspace) as (session, workspace_row, _):
            return service.predict(session, workspace_row, texts=texts)

    rows = _run(go)
    if jsonl:
        _jsonl(rows)
        return
    if pairs:
        table = Table("group", "winner", "win probability", "basis")
        for row in rows:
            table.add_row(
                escape(row["group"]),
                escape(row["winner"]),
                f"{row['win_probability']:.2f}",
                row["basis"],
            )
    else:
        table = Table("#", "score", "± uncertainty", "basis")
        for index, row in enumerate(rows, start=1):
            table.add_row(
                str(index), f"{row['score']:+.3f}", f"{row['uncertainty']:.3f}", row["basis"]
            )
    console.print(table)


@experiment_app.command("analyze")
def experiment_analyze(
    results: Annotated[
        Path,
        typer.Argument(help="CSV: variant,impressions,clicks[,conversions].", show_default=False),
    ],
    as_json: JsonOpt = False,
    prior: PriorOpt = None,
    prob_best: ProbBestOpt = 0.95,
    loss: LossOpt = 0.01,
) -> None:
    """Analyse an A/B/n test's results: posterior CTRs with 95% credible intervals, the
    probability each variant is best and its expected loss, an always-valid sequential check,
    and the decision (a winner, or keep_running)."""
    from brandloom.prediction.experiments import Arm, analyze
    from brandloom.prediction.service import ExperimentError, read_results_csv

    def go() -> dict[str, Any]:
        try:
            data = results.read_bytes()
        except OSError as exc:
            raise ExperimentError(f"{results}: cannot read it ({exc.strerror or exc})") from None
        rows = read_results_csv(data, where=str(results))
        totals: dict[str, list[int]] = {}
        conversions: dict[str, int | None] = {}
        for row in rows:
            counts = totals.setdefault(row.arm, [0, 0])
            counts[0] += row.impressions
            counts[1] += row.clicks
            if row.conversions is not None:
                conversions[row.arm] = (conversions.get(row.arm) or 0) + row.conversions
        arms = [Arm(name, i, c, conversions.get(name)) for name, (i, c) in totals.items()]
        return analyze(
            arms,
            prior=_prior(prior) or (1.0, 1.0),
            prob_best_threshold=prob_best,
            loss_threshold=loss,
        ).to_data()

    _print_analysis(_run(go), as_json)


def _print_analysis(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table("variant", "impressions", "clicks", "CTR", "95% interval", "P(best)", "loss")
    for v in result["variants"]:
        table.add_row(
            escape(str(v["variant"])),
            f"{v['impressions']:,}",
            f"{v['clicks']:,}",
            f"{v['posterior_mean']:.3%}",
            f"{v['ci_low']:.3%} – {v['ci_high']:.3%}",
            f"{v['prob_best']:.3f}",
            f"{v['expected_loss']:.5f}",
        )
    console.print(table)
    console.print(
        f"decision: [bold]{escape(str(result['decision']))}[/] — {escape(result['reason'])}",
        highlight=False,
    )


@experiment_app.command("size")
def experiment_size(
    baseline: Annotated[float, typer.Option("--baseline", help="The control's click rate.")],
    mde: Annotated[float, typer.Option("--mde", help="Relative lift to detect (0.1 = +10%).")],
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    power: Annotated[float, typer.Option("--power")] = 0.8,
    arms: Annotated[int, typer.Option("--arms", min=2, max=20)] = 2,
) -> None:
    """Impressions per arm a fixed-horizon test needs (two-sided two-proportion test)."""
    from brandloom.prediction.experiments import sample_size

    per_arm = _run(lambda: sample_size(baseline, mde, alpha=alpha, power=power, arms=arms))
    console.print(
        f"{per_arm:,} impressions per arm ({per_arm * arms:,} in all) to detect "
        f"{baseline:.2%} -> {baseline * (1 + mde):.2%} with power {power:g} at alpha {alpha:g}",
        highlight=False,
    )


@experiment_app.command("create")
def experiment_create(
    name: Annotated[str, typer.Argument(help="The experiment's name.", show_default=False)],
    arm: Annotated[
        list[str] | None,
        typer.Option("--arm", help="An arm as NAME or NAME=TEXT (give it once per arm)."),
    ] = None,
    job: Annotated[
        str | None, typer.Option("--job", help="A bulk job whose variants become the arms.")
    ] = None,
    part: Annotated[str, typer.Option("--part", help="The content part tested.")] = "subject",
    prior: PriorOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Store an experiment: its arms (--arm), or a bulk job's variants (--job)."""
    from brandloom.prediction import service

    def go() -> dict[str, Any]:
        with workspace_session(workspace) as (session, workspace_row, _):
            if job is not None:
                made = service.experiment_from_job(
                    session, workspace_row, job_id=job, part=part, name=name
                )
            else:
                arms = [
                    service.ArmSpec(*(a.split("=", 1) if "=" in a else (a, None)))
                    for a in arm or []
                ]
                made = service.create_experiment(
                    session, workspace_row, name=name, part=part, arms=arms, prior=_prior(prior)
                )
            return service.experiment_view(session, workspace_row, made)

    view = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(view).decode() + "\n")
        return
    console.print(
        f"experiment [bold]{escape(view['name'])}[/] ({view['id']}): "
        + ", ".join(escape(a["name"]) for a in view["arms"]),
        highlight=False,
    )


@experiment_app.command("record")
def experiment_record(
    experiment: Annotated[str, typer.Argument(help="The experiment's id or name.")],
    results: Annotated[
        Path,
        typer.Argument(help="CSV: variant,impressions,clicks[,conversions].", show_default=False),
    ],
    workspace: WorkspaceOpt = None,
) -> None:
    """Add results (counts since the last recording) to a stored experiment."""
    from brandloom.prediction import service

    def go() -> int:
        try:
            data = results.read_bytes()
        except OSError as exc:
            raise service.ExperimentError(
                f"{results}: cannot read it ({exc.strerror or exc})"
            ) from None
        rows = service.read_results_csv(data, where=str(results))
        with workspace_session(workspace) as (session, workspace_row, _):
            found = service.get_experiment(session, workspace_row, experiment_id=experiment)
            return service.record_results(
                session,
                workspace_row,
                experiment=found,
                rows=rows,
                source="csv",
                where=str(results),
            )

    console.print(f"{_run(go)} result rows recorded", highlight=False)


@experiment_app.command("allocate")
def experiment_allocate(
    experiment: Annotated[str, typer.Argument(help="The experiment's id or name.")],
    method: Annotated[str, typer.Option("--method", help="thompson or ucb.")] = "thompson",
    warm_start: Annotated[
        bool,
        typer.Option(
            "--warm-start/--no-warm-start", help="Start from the predictor's view of the texts."
        ),
    ] = True,
    floor: Annotated[
        float, typer.Option("--floor", min=0.0, max=0.5, help="Least share per arm.")
    ] = 0.05,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """The share of the next traffic each arm should get (it feeds a bulk job's variant
    weights: `variant_weights: {experiment: ID}`)."""
    from brandloom.prediction import service

    def go() -> dict[str, Any]:
        with workspace_session(workspace) as (session, workspace_row, _):
            found = service.get_experiment(session, workspace_row, experiment_id=experiment)
            return service.allocation(
                session,
                workspace_row,
                experiment=found,
                method=method,
                warm_start=warm_start,
                floor=floor,
            )

    result = _run(go)
    if as_json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        return
    for name, weight in result["weights"].items():
        console.print(f"{escape(name)}: {weight:.3f}", highlight=False)


@experiment_app.command("list")
def experiment_list(
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """The workspace's experiments with their arms and results so far, and each decision."""
    from brandloom.prediction import service

    def go() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with workspace_session(workspace) as (session, workspace_row, _):
            cursor = None
            while True:
                items, cursor = service.list_experiments(
                    session, workspace_row, cursor=cursor, limit=200
                )
                for item in items:
                    view = service.experiment_view(session, workspace_row, item)
                    decided = service.analysis(session, workspace_row, experiment=item)
                    out.append({**view, "decision": decided["decision"]})
                if cursor is None:
                    return out

    rows = _run(go)
    if as_json:
        _jsonl(rows)
        return
    table = Table("experiment", "part", "arms", "impressions", "decision")
    for row in rows:
        table.add_row(
            f"{escape(row['name'])}\n[dim]{row['id']}[/]",
            row["part"],
            ", ".join(escape(a["name"]) for a in row["arms"]),
            f"{sum(a['impressions'] for a in row['arms']):,}",
            escape(str(row["decision"])),
        )
    console.print(table)
