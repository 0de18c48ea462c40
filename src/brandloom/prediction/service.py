"""Predictions and experiments for a workspace: stored experiments, their results, analysis and
allocation, and the predictor calibrated on the workspace's own completed experiments.

A workspace's results teach the predictor once it has enough of them: at least
:data:`~brandloom.prediction.model.MIN_EXPERIMENTS` completed experiments (every arm with at
least :data:`~brandloom.prediction.model.MIN_ARM_IMPRESSIONS` impressions and a text). Below
that the global model answers, and every prediction says which (``basis``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from brandloom.errors import ConflictError, NotFoundError, ValidationFailed
from brandloom.kit.ids import new_id
from brandloom.prediction.models import Experiment, ExperimentResult
from brandloom.prediction.repository import ExperimentRepository
from brandloom.workspaces.models import Workspace

PARTS = ("subject", "preheader", "headline", "body", "cta", "text", "sms", "title")
MAX_ARMS = 20
MAX_TEXTS = 10_000
_NAME = re.compile(r"^[^\x00-\x1f]{1,200}$")


class ExperimentError(ValidationFailed):
    code = "experiment.invalid"


def _not_found(experiment_id: str) -> NotFoundError:
    return NotFoundError(
        f"no experiment {experiment_id!r} in this workspace", code="experiment.not_found"
    )


# -- predictions ---------------------------------------------------------------------------


def predictor(session: Session, workspace: Workspace) -> Any:
    """The engagement model for this workspace: the global one, calibrated on the workspace's
    completed experiments once there are enough (``basis`` says which)."""
    from brandloom.prediction.model import EngagementModel

    return EngagementModel.load().with_results(completed_results(session, workspace))


def completed_results(session: Session, workspace: Workspace) -> list[Any]:
    """The workspace's experiments whose every arm has a text, as the model learns from them
    (``model.ExperimentResult``; the model keeps those with enough impressions per arm)."""
    from brandloom.prediction.model import Arm as ShownArm
    from brandloom.prediction.model import ExperimentResult as Finished

    repo = ExperimentRepository(session, workspace)
    experiments = repo.all()
    totals = repo.totals([e.id for e in experiments])
    out: list[Any] = []
    for experiment in experiments:
        counts = totals.get(experiment.id, {})
        if not all(arm.get("text") for arm in experiment.arms):
            continue
        arms = tuple(
            ShownArm(str(arm["text"]), *counts.get(arm["name"], (0, 0, None))[:2])
            for arm in experiment.arms
        )
        out.append(Finished(arms=arms))
    return out


def predict(
    session: Session, workspace: Workspace, *, texts: Sequence[str]
) -> list[dict[str, Any]]:
    """``{"score", "uncertainty", "basis"}`` per text, in order."""
    if len(texts) > MAX_TEXTS:
        raise ValidationFailed(
            f"texts: {len(texts):,} texts; at most {MAX_TEXTS:,} per request",
            code="predict.too_large",
            status=413,
        )
    model = predictor(session, workspace)
    return [
        {"score": p.score, "uncertainty": p.uncertainty, "basis": model.basis}
        for p in model.predict(list(texts))
    ]


def rank_groups(
    session: Session, workspace: Workspace, *, groups: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """Per group of competing texts: ``{"group", "winner", "win_probability", "ranking"}``
    (``ranking``: the texts' indexes, best first, each with its probability to win)."""
    model = predictor(session, workspace)
    out: list[dict[str, Any]] = []
    for group, texts in groups.items():
        ranking = model.rank(list(texts))
        best, probability = ranking[0]
        out.append(
            {
                "group": group,
                "winner": texts[best],
                "win_probability": round(float(probability), 4),
                "ranking": [
                    {"index": i, "text": texts[i], "probability": round(float(p), 4)}
                    for i, p in ranking
                ],
                "basis": model.basis,
            }
        )
    return out


# -- experiments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmSpec:
    name: str
    text: str | None = None


def _check_arms(arms: Sequence[ArmSpec]) -> list[dict[str, Any]]:
    if not 2 <= len(arms) <= MAX_ARMS:
        raise ExperimentError(f"arms: {len(arms)} arms; an experiment has 2 to {MAX_ARMS}")
    seen: set[str] = set()
    out = []
    for index, arm in enumerate(arms):
        name = arm.name.strip()
        if not _NAME.match(name):
            raise ExperimentError(f"arms[{index}].name: 1-200 characters, no control characters")
        if name in seen:
            raise ExperimentError(f"arms[{index}].name: {name!r} is given twice")
        seen.add(name)
        out.append({"name": name, "text": (arm.text or None)})
    return out


def _settings(
    *,
    prior: Sequence[float] | None,
    prob_best_threshold: float | None,
    loss_threshold: float | None,
) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if prior is not None:
        settings["prior"] = list(check_prior(prior))
    if prob_best_threshold is not None:
        if not 0.5 <= prob_best_threshold < 1:
            raise ExperimentError("prob_best_threshold: between 0.5 and 1")
        settings["prob_best_threshold"] = prob_best_threshold
    if loss_threshold is not None:
        if not 0 < loss_threshold < 1:
            raise ExperimentError("loss_threshold: between 0 and 1 (relative to the CTR)")
        settings["loss_threshold"] = loss_threshold
    return settings


def check_prior(prior: Sequence[float]) -> tuple[float, float]:
    if len(prior) != 2 or any(not (0 < float(x) < 1e9) for x in prior):
        raise ExperimentError("prior: two positive numbers a,b (a Beta(a, b) prior)")
    return float(prior[0]), float(prior[1])


def create_experiment(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    part: str,
    arms: Sequence[ArmSpec],
    job_id: str | None = None,
    prior: Sequence[float] | None = None,
    prob_best_threshold: float | None = None,
    loss_threshold: float | None = None,
) -> Experiment:
    """A new experiment; 409 ``experiment.exists`` for a name the workspace has."""
    name = name.strip()
    if not _NAME.match(name):
        raise ExperimentError("name: 1-200 characters, no control characters")
    if part not in PARTS:
        raise ExperimentError(f"part: {part!r} is not a content part; one of {', '.join(PARTS)}")
    repo = ExperimentRepository(session, workspace)
    if repo.by_name(name) is not None:
        raise ConflictError(f"an experiment named {name!r} exists", code="experiment.exists")
    experiment = Experiment(
        id=new_id("exp"),
        name=name,
        part=part,
        arms=_check_arms(arms),
        job_id=job_id,
        settings=_settings(
            prior=prior, prob_best_threshold=prob_best_threshold, loss_threshold=loss_threshold
        ),
    )
    repo.add(experiment)
    session.flush()
    return experiment


def experiment_from_job(
    session: Session, workspace: Workspace, *, job_id: str, part: str, name: str | None = None
) -> Experiment:
    """An experiment whose arms are a bulk job's variants (the text: what each variant's
    ``part`` says, when it overrides it); results come back per variant name."""
    from brandloom.jobs.repository import JobRepository

    job = JobRepository(session, workspace).get(job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id!r} in this workspace", code="job.not_found")
    variants: Mapping[str, Mapping[str, str]] = job.params.get("variants") or {}
    weights = [str(w[0]) for w in job.params.get("weights") or []]
    names = weights or list(variants)
    if len(names) < 2:
        raise ExperimentError(
            f"job {job_id}: it has {len(names)} variant(s); an experiment needs at least 2",
            code="experiment.no_variants",
        )
    arms = [ArmSpec(n, (variants.get(n) or {}).get(part)) for n in names]
    return create_experiment(
        session, workspace, name=name or f"{job.name} ({job_id})", part=part, arms=arms,
        job_id=job_id,
    )  # fmt: skip


def get_experiment(session: Session, workspace: Workspace, *, experiment_id: str) -> Experiment:
    found = ExperimentRepository(session, workspace).get(experiment_id)
    if found is None:
        found = ExperimentRepository(session, workspace).by_name(experiment_id)
    if found is None:
        raise _not_found(experiment_id)
    return found


def list_experiments(
    session: Session, workspace: Workspace, *, cursor: str | None, limit: int
) -> tuple[list[Experiment], str | None]:
    return ExperimentRepository(session, workspace).page(cursor=cursor, limit=limit)


@dataclass(frozen=True, slots=True)
class ResultRow:
    arm: str
    impressions: int
    clicks: int
    conversions: int | None = None


def record_results(
    session: Session,
    workspace: Workspace,
    *,
    experiment: Experiment,
    rows: Iterable[ResultRow],
    source: str,
    where: str = "results",
) -> int:
    """Add the rows' counts to the experiment's arms; every row is checked first (errors name
    the row and field) and nothing is recorded when one is wrong. Returns the rows recorded."""
    known = {arm["name"] for arm in experiment.arms}
    checked: list[ResultRow] = []
    for index, row in enumerate(rows, start=1):
        label = f"{where} row {index}"
        if row.arm not in known:
            raise ExperimentError(
                f"{label}: variant {row.arm!r} is not an arm of {experiment.name!r} "
                f"({', '.join(sorted(known))})"
            )
        for field in ("impressions", "clicks"):
            if getattr(row, field) < 0:
                raise ExperimentError(f"{label}: {field} must not be negative")
        if row.clicks > row.impressions:
            raise ExperimentError(f"{label}: more clicks ({row.clicks}) than impressions")
        if row.conversions is not None and not 0 <= row.conversions <= row.clicks:
            raise ExperimentError(f"{label}: conversions must be between 0 and the clicks")
        checked.append(row)
    if not checked:
        raise ExperimentError(f"{where}: no rows")
    repo = ExperimentRepository(session, workspace)
    for row in checked:
        repo.add(
            ExperimentResult(
                id=new_id("res"),
                experiment_id=experiment.id,
                arm=row.arm,
                impressions=row.impressions,
                clicks=row.clicks,
                conversions=row.conversions,
                source=source,
            )
        )
    session.flush()
    return len(checked)


def read_results_csv(data: bytes, *, where: str) -> list[ResultRow]:
    """``variant,impressions,clicks[,conversions]`` rows (a header line first); errors name
    the line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExperimentError(f"{where}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in ("variant", "impressions", "clicks") if c not in columns]
    if missing:
        raise ExperimentError(
            f"{where}: missing column(s) {', '.join(missing)} (expected variant,impressions,"
            "clicks[,conversions])"
        )
    rows: list[ResultRow] = []
    for line, raw in enumerate(reader, start=2):
        record = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            conversions = record.get("conversions")
            rows.append(
                ResultRow(
                    arm=record["variant"],
                    impressions=_count(record["impressions"]),
                    clicks=_count(record["clicks"]),
                    conversions=_count(conversions) if conversions else None,
                )
            )
        except ValueError as exc:
            raise ExperimentError(f"{where} line {line}: {exc}") from None
        if not rows[-1].arm:
            raise ExperimentError(f"{where} line {line}: variant is empty")
    return rows


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{value!r} is negative")
    return number


def arms_of(session: Session, workspace: Workspace, experiment: Experiment) -> list[Any]:
    """The experiment's arms with their summed counts (``analysis.Arm``), in order."""
    from brandloom.prediction.experiments import Arm

    totals = ExperimentRepository(session, workspace).totals([experiment.id]).get(experiment.id, {})
    out = []
    for arm in experiment.arms:
        impressions, clicks, conversions = totals.get(arm["name"], (0, 0, None))
        out.append(Arm(arm["name"], impressions, clicks, conversions))
    return out


def analysis(
    session: Session,
    workspace: Workspace,
    *,
    experiment: Experiment,
    prior: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The Bayesian analysis, the sequential check and the decision (``experiments.analyze``)."""
    from brandloom.prediction.experiments import analyze

    settings = experiment.settings or {}
    chosen = check_prior(prior) if prior is not None else tuple(settings.get("prior") or (1, 1))
    result = analyze(
        arms_of(session, workspace, experiment),
        prior=(float(chosen[0]), float(chosen[1])),
        **{k: settings[k] for k in ("prob_best_threshold", "loss_threshold") if k in settings},
    ).to_data()
    return {"experiment_id": experiment.id, "name": experiment.name, **result}


def allocation(
    session: Session,
    workspace: Workspace,
    *,
    experiment: Experiment,
    method: str = "thompson",
    warm_start: bool = True,
    floor: float = 0.05,
) -> dict[str, Any]:
    """Weights for the next traffic (Thompson sampling or UCB), warm-started by the predictor
    from the arms' texts when every arm has one."""
    from brandloom.prediction.experiments import allocate

    if method not in ("thompson", "ucb"):
        raise ExperimentError(f"method: {method!r}; thompson or ucb")
    chosen: Literal["thompson", "ucb"] = "ucb" if method == "ucb" else "thompson"
    arms = arms_of(session, workspace, experiment)
    texts = [arm.get("text") for arm in experiment.arms]
    prior_means: dict[str, float] | None = None
    basis = None
    if warm_start and all(texts):
        model = predictor(session, workspace)
        prior_means = _prior_means(model, [str(t) for t in texts], arms)
        basis = model.basis
    weights = allocate(
        arms,
        method=chosen,
        prior_means=prior_means,
        prior_strength=_PRIOR_STRENGTH if prior_means else 0.0,
        floor=floor,
        seed=_seed(experiment.id),
    )
    return {
        "experiment_id": experiment.id,
        "method": method,
        "weights": weights,
        "warm_start": {"basis": basis, "prior_means": prior_means} if prior_means else None,
        "floor": floor,
    }


_PRIOR_STRENGTH = 200.0  # pseudo-impressions a prediction is worth before any result


def _seed(experiment_id: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(experiment_id.encode()).digest()[:4], "big")


def _prior_means(model: Any, texts: list[str], arms: Sequence[Any]) -> dict[str, float]:
    """Predicted CTR per arm: the pooled CTR so far (else a typical 2%) moved by each text's
    predicted log-odds lift."""
    import math

    impressions = sum(a.impressions for a in arms)
    clicks = sum(a.clicks for a in arms)
    base = (clicks + 1) / (impressions + 50) if impressions else 0.02
    logit = math.log(base / (1 - base))
    out: dict[str, float] = {}
    for arm, prediction in zip(arms, model.predict(texts), strict=True):
        out[arm.name] = round(1 / (1 + math.exp(-(logit + prediction.score))), 6)
    return out


def experiment_view(
    session: Session, workspace: Workspace, experiment: Experiment
) -> dict[str, Any]:
    totals = ExperimentRepository(session, workspace).totals([experiment.id]).get(experiment.id, {})
    return {
        "id": experiment.id,
        "name": experiment.name,
        "part": experiment.part,
        "job_id": experiment.job_id,
        "settings": experiment.settings or {},
        "arms": [
            {
                "name": arm["name"],
                "text": arm.get("text"),
                "impressions": totals.get(arm["name"], (0, 0, None))[0],
                "clicks": totals.get(arm["name"], (0, 0, None))[1],
                "conversions": totals.get(arm["name"], (0, 0, None))[2],
            }
            for arm in experiment.arms
        ],
        "created_at": experiment.created_at.isoformat(),
    }


def predicted_weights(
    session: Session, workspace: Workspace, *, texts: Mapping[str, str], floor: float = 0.05
) -> tuple[dict[str, float], str]:
    """Variant weights for a first send from the predictor alone: each variant's text (the
    part the variants differ in) scored, turned into a prior, and allocated by Thompson
    sampling with an exploration floor (as :func:`allocation` warm-starts an experiment
    without results). Returns the weights and the predictor's ``basis``."""
    from brandloom.prediction.experiments import Arm, allocate

    model = predictor(session, workspace)
    arms = [Arm(name, 0, 0) for name in texts]
    prior_means = _prior_means(model, list(texts.values()), arms)
    weights = allocate(
        arms,
        method="thompson",
        prior_means=prior_means,
        prior_strength=_PRIOR_STRENGTH,
        floor=floor,
        seed=_seed("|".join(texts)),
    )
    return weights, model.basis


def experiment_weights(
    session: Session, workspace: Workspace, *, experiment: str, variants: Sequence[str]
) -> tuple[dict[str, float], str]:
    """The current allocation of a stored experiment (id or name) as variant weights; its arms
    must be the variants, by name."""
    found = get_experiment(session, workspace, experiment_id=experiment)
    arms = [arm["name"] for arm in found.arms]
    if sorted(arms) != sorted(variants):
        raise ExperimentError(
            f"variant_weights: experiment {found.name!r} has arms {', '.join(arms)}; the spec's "
            f"variants are {', '.join(variants)}",
            code="experiment.arms_mismatch",
        )
    result = allocation(session, workspace, experiment=found)
    return dict(result["weights"]), found.id
