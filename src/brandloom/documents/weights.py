"""How a render job splits its contacts between variants: the spec's own weights, the
predictor's (``variant_weights: predicted``) or a stored experiment's current allocation
(``variant_weights: {experiment: ID}``).

With ``predicted``, the variants are compared on the first text part any of them overrides
(subject, preheader, then the others): each variant's own text, or the template's for a variant
that keeps it. A part that only reads a message (``{{ t.subject_b }}``) is scored with the
message of the job's default locale; other template tags are left out of the text scored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from brandloom.documents.spec import ExperimentWeights, RenderOptions, SpecError
from brandloom.templates.messages import fallback_chain
from brandloom.workspaces.models import Workspace

_ORDER = ("subject", "preheader", "sms", "text", "markdown", "html", "pdf")
_MESSAGE = re.compile(r"\{\{\s*t\.([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_MARKUP = re.compile(r"<[^>]+>")


def chosen_weights(
    session: Session,
    workspace: Workspace,
    spec: RenderOptions,
    *,
    names: list[str],
    parts: Mapping[str, str],
    variants: Mapping[str, Mapping[str, str]],
    messages: Mapping[str, Mapping[str, Any]],
) -> tuple[list[tuple[str, float]], dict[str, Any]]:
    """The weights (in variant order) and what ``report.json`` says of where they came from."""
    from brandloom.prediction import service as prediction

    choice = spec.variant_weights
    if len(names) < 2:
        raise SpecError("variant_weights needs at least two variants")
    if isinstance(choice, ExperimentWeights):
        weights, experiment_id = prediction.experiment_weights(
            session, workspace, experiment=choice.experiment, variants=names
        )
        source: dict[str, Any] = {"source": "experiment", "experiment_id": experiment_id}
    else:
        part = next((p for p in _ORDER if any(p in v for v in variants.values())), None)
        if part is None:
            raise SpecError(
                "variant_weights: predicted compares the text the variants differ in, and no "
                "variant overrides a text part"
            )
        catalog = _default_catalog(messages, spec.locale)
        texts = {
            name: _plain(variants.get(name, {}).get(part, parts.get(part, "")), catalog)
            for name in names
        }
        weights, basis = prediction.predicted_weights(session, workspace, texts=texts)
        source = {"source": "predicted", "part": part, "basis": basis, "texts": texts}
    ordered = [(name, round(float(weights[name]), 6)) for name in names]
    return ordered, {**source, "weights": dict(ordered)}


def _default_catalog(messages: Mapping[str, Mapping[str, Any]], locale: str) -> Mapping[str, Any]:
    for tag in fallback_chain(locale, locale):
        if tag in messages:
            return messages[tag]
    return next(iter(messages.values()), {})


def _plain(source: str, catalog: Mapping[str, Any]) -> str:
    """Template source as the text a reader would see, roughly: messages filled in from the
    default catalog, other tags and markup left out."""

    def message(match: re.Match[str]) -> str:
        value: Any = catalog
        for step in match.group(1).split("."):
            value = value.get(step) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping):
            value = value.get("other")
        return str(value) if isinstance(value, str) else " "

    text = _TAG.sub(" ", _MESSAGE.sub(message, source))
    return " ".join(_MARKUP.sub(" ", text).split())
