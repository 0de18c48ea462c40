"""HTTP endpoint for text analysis."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from brandloom.auth import AuthContext
from brandloom.insights.schemas import AnalyzeRequest, AnalyzeResponse
from brandloom.insights.service import analyze_texts, options
from brandloom.web.deps import require_scopes

router = APIRouter(prefix="/v1", tags=["analysis"])

Analyze = Annotated[AuthContext, Depends(require_scopes("analyze"))]


@router.post("/analyze", response_model=AnalyzeResponse, response_model_exclude_unset=True)
def analyze(body: AnalyzeRequest, auth: Analyze) -> AnalyzeResponse:
    """Language, sentiment, emotions, motivators, readability and spam likelihood per text; with
    `locale`, the culture findings; with `targets`, resonance. 413 over the limits, 422 for an
    unknown locale, language or target."""
    checked = options(
        locale=body.locale,
        targets=body.targets,
        languages=body.languages,
        formality=body.formality,
    )
    items = analyze_texts(body.texts, checked=checked)
    return AnalyzeResponse.model_validate({"items": items})
