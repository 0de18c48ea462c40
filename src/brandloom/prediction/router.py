"""HTTP endpoints: ``POST /v1/predict`` and ``/v1/experiments`` (create, results, analysis,
allocation, list)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from brandloom.auth import AuthContext
from brandloom.errors import ValidationFailed
from brandloom.prediction import service
from brandloom.prediction.schemas import (
    AllocationMethod,
    ExperimentCreate,
    PredictRequest,
    ResultsIn,
)
from brandloom.web.deps import ListQueryDep, SessionDep, require_scopes

router = APIRouter(tags=["prediction"])

Predict = Annotated[AuthContext, Depends(require_scopes("predict"))]
ExperimentsRead = Annotated[AuthContext, Depends(require_scopes("experiments:read"))]
ExperimentsWrite = Annotated[AuthContext, Depends(require_scopes("experiments:write"))]


@router.post("/v1/predict")
def predict(body: PredictRequest, session: SessionDep, auth: Predict) -> dict[str, Any]:
    """``{"items": [{"score", "uncertainty", "basis"}]}`` per text, and with ``groups``
    ``{"groups": [{"group", "winner", "win_probability", "ranking"}]}``."""
    out: dict[str, Any] = {}
    if body.texts:
        out["items"] = service.predict(session, auth.workspace, texts=body.texts)
    if body.groups:
        out["groups"] = service.rank_groups(session, auth.workspace, groups=body.groups)
    if not out:
        raise ValidationFailed("give texts or groups", code="predict.empty")
    return out


@router.post("/v1/experiments", status_code=201)
def create_experiment(
    body: ExperimentCreate, session: SessionDep, auth: ExperimentsWrite
) -> dict[str, Any]:
    """An experiment with ``arms`` (``[{"name", "text"?}]``), or the variants of ``job_id``;
    409 ``experiment.exists`` for a name the workspace has."""
    if (body.arms is None) == (body.job_id is None):
        raise ValidationFailed("give arms or job_id", code="experiment.invalid")
    if body.job_id is not None:
        experiment = service.experiment_from_job(
            session, auth.workspace, job_id=body.job_id, part=body.part, name=body.name
        )
    else:
        if body.name is None:
            raise ValidationFailed("name: required with arms", code="experiment.invalid")
        experiment = service.create_experiment(
            session,
            auth.workspace,
            name=body.name,
            part=body.part,
            arms=[service.ArmSpec(a.name, a.text) for a in body.arms or []],
            prior=body.prior,
            prob_best_threshold=body.prob_best_threshold,
            loss_threshold=body.loss_threshold,
        )
    return service.experiment_view(session, auth.workspace, experiment)


@router.get("/v1/experiments")
def list_experiments(
    session: SessionDep, auth: ExperimentsRead, query: ListQueryDep
) -> dict[str, Any]:
    items, next_cursor = service.list_experiments(
        session, auth.workspace, cursor=query.cursor, limit=query.limit
    )
    return {
        "items": [service.experiment_view(session, auth.workspace, e) for e in items],
        "next_cursor": next_cursor,
    }


@router.get("/v1/experiments/sample-size")
def sample_size(
    auth: ExperimentsRead,
    baseline: Annotated[float, Query(gt=0, lt=1, description="the control's click rate")],
    mde: Annotated[float, Query(gt=0, le=10, description="relative lift to detect: 0.1 = +10%")],
    alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
    power: Annotated[float, Query(ge=0.5, lt=1)] = 0.8,
    arms: Annotated[int, Query(ge=2, le=20)] = 2,
) -> dict[str, Any]:
    """Impressions per arm a fixed-horizon test needs to detect ``mde`` from ``baseline``
    (two-sided two-proportion test; Bonferroni over the arms beyond two)."""
    from brandloom.prediction.experiments import sample_size as size

    per_arm = size(baseline, mde, alpha=alpha, power=power, arms=arms)
    return {"per_arm": per_arm, "total": per_arm * arms, "baseline": baseline, "mde": mde}


@router.post("/v1/experiments/{experiment_id}/results")
def record_results(
    experiment_id: str, body: ResultsIn, session: SessionDep, auth: ExperimentsWrite
) -> dict[str, Any]:
    """Add counts per variant (what was observed since the last recording); 422 naming the
    row for an unknown variant or impossible counts (nothing is recorded then)."""
    experiment = service.get_experiment(session, auth.workspace, experiment_id=experiment_id)
    recorded = service.record_results(
        session,
        auth.workspace,
        experiment=experiment,
        rows=[
            service.ResultRow(r.variant, r.impressions, r.clicks, r.conversions)
            for r in body.results
        ],
        source="api",
    )
    return {"recorded": recorded, **service.experiment_view(session, auth.workspace, experiment)}


@router.get("/v1/experiments/{experiment_id}/analysis")
def experiment_analysis(
    experiment_id: str, session: SessionDep, auth: ExperimentsRead
) -> dict[str, Any]:
    experiment = service.get_experiment(session, auth.workspace, experiment_id=experiment_id)
    return service.analysis(session, auth.workspace, experiment=experiment)


@router.get("/v1/experiments/{experiment_id}/allocation")
def experiment_allocation(
    experiment_id: str,
    session: SessionDep,
    auth: ExperimentsRead,
    method: AllocationMethod = "thompson",
    warm_start: bool = True,
    floor: Annotated[float, Query(ge=0, le=0.5)] = 0.05,
) -> dict[str, Any]:
    experiment = service.get_experiment(session, auth.workspace, experiment_id=experiment_id)
    return service.allocation(
        session,
        auth.workspace,
        experiment=experiment,
        method=method,
        warm_start=warm_start,
        floor=floor,
    )
