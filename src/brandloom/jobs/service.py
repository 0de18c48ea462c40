"""Jobs: create (with chunk planning), render one chunk, finalize outputs and report.

A chunk is a keyset page of the audience by contact key. Its documents are written by the sink
first and its records and checkpoint committed after, in one transaction: a crash between the
two only means the chunk is rendered again, to the same bytes.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from brandloom.audiences.export import write_rejects_csv
from brandloom.audiences.models import Audience
from brandloom.audiences.repository import AudienceRepository
from brandloom.db.base import utcnow
from brandloom.documents.formats.eml import EmailSettings
from brandloom.documents.formats.registry import format_names
from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAConfig
from brandloom.documents.sinks import PARTS_DIR, STATE_DIR, Sink, make_sink
from brandloom.errors import BrandloomError, ConflictError, NotFoundError
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.spec import ErrorThreshold
from brandloom.kit.ids import new_id
from brandloom.settings import Settings, get_settings
from brandloom.storage import (
    LocalStore,
    Store,
    api_jobs_location,
    as_store,
    open_location,
    parent_location,
    same_location,
)
from brandloom.templates.engine import PROCESS_CODE_CACHE
from brandloom.templates.models import Template
from brandloom.templates.service import compile_docx, compile_variants
from brandloom.workspaces.models import Workspace

MANIFEST = "manifest.jsonl"
REPORT = "report.json"
REJECTED = "rejected.csv"
MARKER = "job.json"


@dataclass(frozen=True, slots=True)
class JobPlan:
    """Everything about a job that is fixed when it is created (stored as ``job.spec``)."""

    spec: dict[str, Any]  # the validated spec, as JSON
    variants: dict[str, dict[str, str]]  # variant -> resolved part overrides
    weights: list[tuple[str, float]]
    eml_date: str


def create_job(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    plan: JobPlan,
    spec_sha256: str,
    audience: Audience,
    template: Template,
    out_dir: Path | str,
    seed: str,
    chunk_size: int,
    job_id: str | None = None,
) -> Job:
    """Record a job and plan its chunks: every ``chunk_size``-th contact key is a boundary."""
    repo = JobRepository(session, workspace)
    job = repo.add(
        Job(
            id=job_id or new_id("job"),
            name=name,
            state="queued",
            spec={
                "spec": plan.spec,
                "variants": plan.variants,
                "weights": [list(w) for w in plan.weights],
                "eml_date": plan.eml_date,
            },
            spec_sha256=spec_sha256,
            audience_id=audience.id,
            template_id=template.id,
            out_dir=str(out_dir),
            seed=seed,
            chunk_size=chunk_size,
        )
    )
    session.flush()
    chunks: list[dict[str, Any]] = []
    after: str | None = None
    count = 0
    last: str | None = None
    for key in AudienceRepository(session, workspace).keys(audience.id):
        count += 1
        last = key
        if count == chunk_size:
            chunks.append(_chunk_row(job.id, len(chunks), after, key, count))
            after, count = key, 0
    if count and last is not None:
        chunks.append(_chunk_row(job.id, len(chunks), after, last, count))
    repo.add_chunks(chunks)
    job.chunks_total = len(chunks)
    job.contacts_total = sum(c["contacts"] for c in chunks)
    session.flush()
    return job


def _chunk_row(
    job_id: str, index: int, after: str | None, last: str, contacts: int
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "index": index,
        "after_key": after,
        "last_key": last,
        "contacts": contacts,
        "state": "pending",
    }


def get_job(session: Session, workspace: Workspace | str, *, job_id: str) -> Job:
    job = JobRepository(session, workspace).get(job_id)
    if job is None:
        raise NotFoundError(f"job '{job_id}' not found", code="job.not_found")
    return job


# ---------------------------------------------------------------------------------------------
# Rendering one chunk (runs in worker processes)
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class JobRuntime:
    """Per-process state for one job: compiled once, reused for every chunk."""

    job_id: str
    workspace_id: str
    audience_id: str
    renderer: JobRenderer
    sink: Sink
    threshold: ErrorThreshold | None = None


def render_settings(
    *,
    name: str,
    seed: str,
    locale: str,
    outputs: tuple[str, ...],
    from_addr: str | None,
    from_name: str | None,
    reply_to: str | None,
    unsubscribe_mailto: str | None,
    eml_date: datetime,
    keep_parts: bool,
) -> RenderSettings:
    """How a job renders: the same for its chunks on any worker and for its previews."""
    return RenderSettings(
        job_key=f"{seed}\x1f{name}",
        seed=seed,
        default_locale=locale,
        outputs=outputs,
        email=(
            EmailSettings(
                from_addr=from_addr,
                from_name=from_name,
                reply_to=reply_to,
                unsubscribe_mailto=unsubscribe_mailto,
            )
            if from_addr
            else None
        ),
        email_domain=(from_addr or "brandloom.invalid").rpartition("@")[2] or "brandloom.invalid",
        eml_date=eml_date,
        keep_parts=keep_parts,
        title=name,
    )


def build_runtime(job: Job, template: Template) -> JobRuntime:
    stored = job.spec
    spec = stored["spec"]
    email = spec.get("email") or {}
    outputs: tuple[str, ...] = tuple(spec["outputs"])
    settings = render_settings(
        name=job.name,
        seed=job.seed,
        locale=spec.get("locale") or "en-US",
        outputs=outputs,
        from_addr=email.get("from"),
        from_name=email.get("from_name"),
        reply_to=email.get("reply_to"),
        unsubscribe_mailto=email.get("unsubscribe_mailto"),
        eml_date=datetime.fromisoformat(stored["eml_date"]),
        keep_parts=spec.get("sink") == "jsonl",
    )
    templates = compile_variants(
        engine=template.engine,
        parts=template.parts,
        variants=stored["variants"],
        cache=PROCESS_CODE_CACHE,  # a worker reuses compiled parts across jobs and variants
    )
    renderer = JobRenderer(
        docx_template=compile_docx(template.docx) if template.docx is not None else None,
        templates=templates,
        weights=[(w[0], float(w[1])) for w in stored["weights"]],
        qa=QAConfig.model_validate(spec.get("qa") or {}),
        settings=settings,
    )
    sink = make_sink(spec.get("sink") or "dir", open_location(job.out_dir), outputs)
    threshold = spec.get("error_threshold", {})
    return JobRuntime(
        job_id=job.id,
        workspace_id=job.workspace_id,
        audience_id=job.audience_id,
        renderer=renderer,
        sink=sink,
        threshold=ErrorThreshold.model_validate(threshold) if threshold is not None else None,
    )


def load_chunk(session: Session, runtime: JobRuntime, index: int) -> list[ContactData] | None:
    """The chunk's contacts, or None when the chunk is already done (reprocessing is a no-op)."""
    chunk = JobRepository(session, runtime.workspace_id).chunk(runtime.job_id, index)
    if chunk is None:
        raise NotFoundError(f"chunk {index} of job {runtime.job_id} not found")
    if chunk.state == "done":
        return None
    rows = AudienceRepository(session, runtime.workspace_id).contacts_between(
        runtime.audience_id, after_key=chunk.after_key, last_key=chunk.last_key
    )
    return [
        ContactData(row=r[0], key=r[1], email=r[2], locale=r[3], consent=r[4], attributes=r[5])
        for r in rows
    ]


def commit_chunk(
    session: Session,
    runtime: JobRuntime,
    index: int,
    outcomes: list[tuple[Any, ...]],
    stats: dict[str, Any],
) -> bool:
    """Record a rendered chunk; False (and nothing written) when it was committed already.

    Job counters move in the same transaction, and a job whose failures cross its error
    threshold is paused here, so every runner stops taking its chunks.
    """
    repo = JobRepository(session, runtime.workspace_id)
    if not repo.complete_chunk(runtime.job_id, index, stats=stats, now=utcnow()):
        return False
    repo.replace_documents(runtime.job_id, index, outcomes)
    failed = int(stats.get("qa", {}).get("fail", 0))
    session.execute(
        update(Job)
        .where(Job.id == runtime.job_id)
        .values(
            chunks_done=Job.chunks_done + 1,
            contacts_done=Job.contacts_done + int(stats.get("contacts", 0)),
            documents_failed=Job.documents_failed + failed,
        ),
        execution_options={"synchronize_session": False},
    )
    if runtime.threshold is not None and failed:
        _apply_error_threshold(session, runtime.job_id, runtime.threshold, stats)
    return True


def _apply_error_threshold(
    session: Session, job_id: str, threshold: ErrorThreshold, stats: dict[str, Any]
) -> None:
    row = session.execute(
        select(Job.documents_failed, Job.contacts_done).where(Job.id == job_id)
    ).one()
    failed, done = int(row[0]), int(row[1])
    if failed < threshold.min_failed or failed < threshold.rate * done:
        return
    codes = Counter(stats.get("by_code", {})).most_common(3)
    top = ", ".join(f"{code} ({n})" for code, n in codes)
    error = (
        f"paused by the error threshold: {failed:,} of {done:,} documents failed QA "
        f"({100 * failed / max(done, 1):.1f}%; threshold {threshold.min_failed:,} and "
        f"{100 * threshold.rate:g}%); most frequent in the last chunk: {top or 'n/a'}. "
        "Fix the template or the QA settings, then resume."
    )
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running")
        .values(state="paused", error=error),
        execution_options={"synchronize_session": False},
    )


# ---------------------------------------------------------------------------------------------
# Finalize: manifest, rejects, assembled sink outputs, report
# ---------------------------------------------------------------------------------------------

# Written once the sink's outputs are assembled, before their per-chunk parts are removed.
_ASSEMBLED = f"{STATE_DIR}/assembled.json"


def finalize_job(session: Session, job: Job, *, settings: Settings | None = None) -> dict[str, Any]:
    """Write manifest.jsonl, rejected.csv, the sink's assembled outputs and report.json.

    Everything goes through the job's output store (``settings`` gives the S3 credentials when
    the outputs are in a bucket). Each output is published whole or not at all, and a finalize
    repeated after a crash does not assemble again from parts it already removed.
    """
    store = open_location(job.out_dir, settings)
    repo = JobRepository(session, job.workspace_id)
    audience = AudienceRepository(session, job.workspace_id).get(job.audience_id)
    if audience is None:
        raise NotFoundError(f"audience '{job.audience_id}' not found")
    spec = job.spec["spec"]

    with store.open_writer(MANIFEST) as fh:
        for row, key, variant, qa_status, qa_issues, files in repo.iter_manifest(job.id):
            fh.write(
                orjson.dumps(
                    {
                        "key": key,
                        "row": row,
                        "variant": variant,
                        "qa": {"status": qa_status, "issues": qa_issues},
                        "files": files,
                    }
                )
            )
            fh.write(b"\n")

    with store.staged_file(REJECTED) as rejects:
        write_rejects_csv(
            rejects,
            list(audience.headers),
            AudienceRepository(session, job.workspace_id).iter_rejects(audience.id),
        )

    # Recorded before the parts are removed: once some parts are gone, assembling again would
    # publish an incomplete archive.
    if not store.exists(_ASSEMBLED):
        sink = make_sink(spec.get("sink") or "dir", store, spec["outputs"])
        sink.finalize(job.chunks_total)
        store.put(_ASSEMBLED, orjson.dumps({"job_id": job.id}))
    store.delete_prefix(PARTS_DIR)

    documents: Counter[str] = Counter()
    qa: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    for stats in repo.chunk_stats(job.id):
        documents.update(stats.get("documents", {}))
        qa.update(stats.get("qa", {}))
        by_code.update(stats.get("by_code", {}))
    total_docs = sum(documents.values())
    elapsed = round(job.elapsed_s, 3)
    report = {
        "job_id": job.id,
        "name": job.name,
        "rows_read": audience.rows_read,
        "accepted": audience.accepted,
        "rejected": audience.rejected,
        "rejected_by_code": dict(sorted(audience.rejected_by_code.items())),
        "documents": {fmt: documents.get(fmt, 0) for fmt in spec["outputs"]},
        "qa": {
            "passed": qa.get("pass", 0),
            "warned": qa.get("warn", 0),
            "failed": qa.get("fail", 0),
            "by_code": dict(sorted(by_code.items())),
        },
        "sink": spec.get("sink") or "dir",
        "elapsed_s": elapsed,
        "docs_per_minute": round(total_docs / elapsed * 60, 1) if elapsed > 0 else None,
    }
    with store.open_writer(REPORT) as fh:
        fh.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    job.report = report
    job.state = "done"
    job.finished_at = utcnow()
    job.chunks_done = job.chunks_total
    job.contacts_done = job.contacts_total
    return report


def write_marker(out: Path | Store, job: Job) -> None:
    """Mark an output location as brandloom's (names the job writing into it)."""
    as_store(out).put(
        f"{STATE_DIR}/{MARKER}",
        orjson.dumps({"job_id": job.id, "workspace_id": job.workspace_id, "name": job.name}),
    )


def read_marker(out: Path | Store) -> dict[str, Any] | None:
    try:
        data = orjson.loads(as_store(out).get(f"{STATE_DIR}/{MARKER}"))
    except (FileNotFoundError, NotADirectoryError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


# Outputs a finished job leaves in its folder; a new run into the same folder replaces them.
_OWNED = (
    *format_names(),  # a folder per format
    MANIFEST,
    REPORT,
    REJECTED,
    "documents.zip",
    "documents.jsonl",
    STATE_DIR,
)


def check_out_dir(out: Path | Store, *, unfinished: Job | None) -> None:
    """Refuse an output folder that holds an unfinished job or anything brandloom did not write."""
    store = as_store(out)
    where = store.location
    if unfinished is not None:
        raise ConflictError(
            f"{where} holds an unfinished job ({unfinished.id}, {unfinished.state}); "
            "continue it with --resume or choose another --out",
            code="job.unfinished",
        )
    if isinstance(store, LocalStore) and store.root.exists() and not store.root.is_dir():
        raise BrandloomError(f"--out {where} is a file, not a folder", code="job.bad_out_dir")
    if not store.is_empty() and read_marker(store) is None:
        raise ConflictError(
            f"--out {where} is not empty and holds no brandloom output; choose an empty folder",
            code="job.out_dir_not_empty",
        )


def clear_out_dir(out: Path | Store) -> None:
    """Remove a previous finished job's outputs (only what brandloom writes) before a new run."""
    store = as_store(out)
    for name in _OWNED:
        store.delete_prefix(name)
        store.delete(name)
    store.prepare()


log = logging.getLogger(__name__)


def purge_expired_outputs(
    session: Session,
    *,
    jobs_dir: Path,
    retention_days: int,
    settings: Settings | None = None,
) -> int:
    """Delete API job outputs older than the retention period; returns how many were purged.

    API outputs live under ``jobs_dir`` or, with ``storage_url`` set, under
    ``<storage_url>/jobs`` (``settings`` defaults to the process settings); outputs anywhere else
    were written by the CLI and belong to their user. A location that cannot be purged now is
    logged and left for the next run.
    """
    from datetime import timedelta

    settings = settings or get_settings()
    roots = [str(jobs_dir)]
    if settings.storage_url:
        roots.append(api_jobs_location(settings))
    cutoff = utcnow() - timedelta(days=retention_days)
    purged = 0
    stmt = select(Job).where(
        Job.state.in_(("done", "failed", "cancelled")), Job.finished_at < cutoff
    )
    for job in session.scalars(stmt):
        parent = parent_location(job.out_dir)
        if not any(same_location(parent, root) for root in roots):
            continue
        try:
            store = open_location(job.out_dir, settings)
            if store.is_empty():
                continue
            store.delete_prefix("")
        except (OSError, BrandloomError) as exc:
            log.warning("could not purge the outputs of job %s: %s", job.id, exc)
            continue
        purged += 1
    return purged
