"""Brands: create, rename, delete; guidelines versions; the visual kit and logo; the content
library; voice training, scoring and linting. Plain functions, ``(session, workspace, *, ...)``;
they flush, never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from brandloom.analysis.brand_rules import BrandLinter
from brandloom.analysis.guidelines import Guidelines, parse_guidelines
from brandloom.analysis.voice import VOICE_FORMAT, VoiceProfile
from brandloom.brands.errors import BrandExists, BrandNotFound, BrandNotReady, TooLarge
from brandloom.brands.kit import BrandKit, Logo
from brandloom.brands.library import (
    LibraryText,
    RejectedText,
    check_channel,
    check_locale,
    library_format,
    normalized_sha256,
    read_library,
)
from brandloom.brands.models import Brand, BrandGuidelines, BrandText, BrandVoice
from brandloom.brands.repository import BrandRepository
from brandloom.db.base import utcnow
from brandloom.errors import BrandloomError, NotFoundError, ValidationFailed
from brandloom.insights.service import check_limits as text_limits
from brandloom.kit.ids import new_id
from brandloom.workspaces.models import Workspace

MAX_NAME_CHARS = 200
MAX_LIBRARY_BYTES = 20 * 1024 * 1024
"""One library file (an upload, a CLI --input)."""
MAX_REPORTED_REJECTS = 1_000
"""Rejected texts listed in an import's report (all are counted)."""
MAX_VOICE_TEXTS = 5_000
"""Library texts a voice is fitted on: the newest ones."""
_INSERT_BATCH = 1_000


# -- brands ------------------------------------------------------------------------------


def _checked_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise ValidationFailed("name: a brand needs a name", code="brand.invalid_name")
    if len(text) > MAX_NAME_CHARS:
        raise ValidationFailed(
            f"name: at most {MAX_NAME_CHARS} characters", code="brand.invalid_name"
        )
    return text


def create_brand(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    guidelines: Guidelines | None = None,
    kit: BrandKit | None = None,
    logo: Logo | None = None,
) -> Brand:
    """A new brand; its guidelines, when given, are version 1. ``brand.exists`` (409) when
    the workspace has a brand of that name."""
    repo = BrandRepository(session, workspace)
    name = _checked_name(name)
    if repo.by_name(name) is not None:
        raise BrandExists(f"brand '{name}' already exists")
    brand = repo.add(
        Brand(id=new_id("brand"), name=name, kit=(kit or BrandKit()).to_data(), updated_at=utcnow())
    )
    if logo is not None:
        brand.logo, brand.logo_media_type = logo.data, logo.media_type
    session.flush()
    if guidelines is not None:
        set_guidelines(session, workspace, brand=brand, guidelines=guidelines)
    return brand


@dataclass(frozen=True, slots=True)
class BrandSaved:
    """What ``save_brand`` did: the brand, whether it is new, and whether its guidelines
    got a new version."""

    brand: Brand
    created: bool
    guidelines_changed: bool


def save_brand(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    guidelines: Guidelines | None = None,
    kit: BrandKit | None = None,
    logo: Logo | None = None,
) -> BrandSaved:
    """Create the brand, or bring an existing one up to date: new guidelines become a new
    version, a kit replaces the kit (the CLI's ``brand create`` with a file). An existing
    brand with nothing to change is ``brand.exists``."""
    existing = BrandRepository(session, workspace).by_name(_checked_name(name))
    if existing is None:
        brand = create_brand(
            session, workspace, name=name, guidelines=guidelines, kit=kit, logo=logo
        )
        return BrandSaved(brand, True, guidelines is not None)
    if guidelines is None and kit is None and logo is None:
        raise BrandExists(
            f"brand '{existing.name}' already exists (give --guidelines or --kit to change it)"
        )
    changed = False
    if guidelines is not None:
        changed = set_guidelines(session, workspace, brand=existing, guidelines=guidelines)[1]
    if kit is not None:
        set_kit(session, workspace, brand=existing, kit=kit)
    if logo is not None:
        set_logo(session, workspace, brand=existing, logo=logo)
    return BrandSaved(existing, False, changed)


def ensure_brand(
    session: Session, workspace: Workspace, *, name: str, guidelines: Guidelines | None = None
) -> Brand:
    """The brand named ``name``, created if the workspace has none; ``guidelines``, when
    given, become its current ones (a new version if they changed)."""
    brand = BrandRepository(session, workspace).by_name(_checked_name(name))
    if brand is None:
        return create_brand(session, workspace, name=name, guidelines=guidelines)
    if guidelines is not None:
        set_guidelines(session, workspace, brand=brand, guidelines=guidelines)
    return brand


def get_brand(
    session: Session, workspace: Workspace, *, brand_id: str, with_logo: bool = False
) -> Brand:
    brand = BrandRepository(session, workspace).get(brand_id, with_logo=with_logo)
    if brand is None:
        raise BrandNotFound(f"brand '{brand_id}' not found")
    return brand


def find_brand(session: Session, workspace: Workspace, *, name: str) -> Brand:
    """The brand named ``name`` (the CLI names brands); ``brand.not_found`` with the command
    that creates it."""
    brand = BrandRepository(session, workspace).by_name(" ".join(name.split()))
    if brand is None:
        raise BrandNotFound(
            f"no brand named '{name}' in workspace '{workspace.name}' "
            f"(create it: brandloom brand create '{name}')"
        )
    return brand


def list_brands(
    session: Session,
    workspace: Workspace,
    *,
    cursor: str | None = None,
    limit: int = 100,
    name: str | None = None,
) -> tuple[list[Brand], str | None]:
    """The workspace's brands, newest first, and the cursor of the next page."""
    return BrandRepository(session, workspace).page(cursor=cursor, limit=limit, name=name)


def rename_brand(session: Session, workspace: Workspace, *, brand: Brand, name: str) -> Brand:
    repo = BrandRepository(session, workspace)
    name = _checked_name(name)
    other = repo.by_name(name)
    if other is not None and other.id != brand.id:
        raise BrandExists(f"brand '{name}' already exists")
    brand.name = name
    brand.updated_at = utcnow()
    session.flush()
    return brand


def delete_brand(session: Session, workspace: Workspace, *, brand: Brand) -> None:
    """The brand with its guidelines versions, library and voices."""
    BrandRepository(session, workspace).delete(brand)
    session.flush()


# -- guidelines --------------------------------------------------------------------------


def set_guidelines(
    session: Session, workspace: Workspace, *, brand: Brand, guidelines: Guidelines
) -> tuple[BrandGuidelines, bool]:
    """Make ``guidelines`` the brand's current ones: a new version, never an update of an old
    one. Returns (the current version, whether it is new): guidelines equal to the current
    ones are no change and make no version."""
    repo = BrandRepository(session, workspace)
    repo.lock(brand.id)
    data = guidelines.to_data()
    if brand.guidelines_version is not None:
        current = repo.guidelines(brand.id, brand.guidelines_version)
        if current is not None and current.data == data:
            return current, False
    version = repo.latest_guidelines_version(brand.id) + 1
    row = repo.add_guidelines(
        BrandGuidelines(id=new_id("bgl"), brand_id=brand.id, version=version, data=data)
    )
    brand.guidelines_version = version
    brand.updated_at = utcnow()
    session.flush()
    return row, True


def current_guidelines(session: Session, workspace: Workspace, *, brand: Brand) -> BrandGuidelines:
    """The brand's current guidelines; ``brand.no_guidelines`` (404) while it has none."""
    if brand.guidelines_version is None:
        raise NotFoundError(
            f"brand '{brand.name}' has no guidelines yet (PUT /v1/brands/{brand.id}/guidelines,"
            f" or brandloom brand create '{brand.name}' --guidelines FILE.yaml)",
            code="brand.no_guidelines",
        )
    return guidelines_version(session, workspace, brand=brand, version=brand.guidelines_version)


def guidelines_version(
    session: Session, workspace: Workspace, *, brand: Brand, version: int
) -> BrandGuidelines:
    row = BrandRepository(session, workspace).guidelines(brand.id, version)
    if row is None:
        raise NotFoundError(
            f"brand '{brand.name}' has no guidelines version {version}",
            code="brand.guidelines_not_found",
        )
    return row


def list_guidelines_versions(
    session: Session, workspace: Workspace, *, brand: Brand, before: int | None, limit: int
) -> list[BrandGuidelines]:
    """Versions newest first, below ``before``; ``limit + 1`` rows (one tells another page
    follows)."""
    return BrandRepository(session, workspace).guidelines_versions(
        brand.id, before=before, limit=limit
    )


def _guidelines_of(row: BrandGuidelines, brand: Brand) -> Guidelines:
    return parse_guidelines(row.data, source=f"brand '{brand.name}' guidelines v{row.version}")


def guidelines_of(session: Session, workspace: Workspace, *, brand: Brand) -> Guidelines:
    """The brand's current guidelines, parsed; ``brand.no_guidelines`` (404) without."""
    return _guidelines_of(current_guidelines(session, workspace, brand=brand), brand)


# -- kit ---------------------------------------------------------------------------------


def set_kit(session: Session, workspace: Workspace, *, brand: Brand, kit: BrandKit) -> Brand:
    """Replace the brand's kit (its logo stays)."""
    brand.kit = kit.to_data()
    brand.updated_at = utcnow()
    session.flush()
    return brand


def set_logo(session: Session, workspace: Workspace, *, brand: Brand, logo: Logo) -> Brand:
    """Store a checked logo (``brands.kit.check_logo``)."""
    brand.logo, brand.logo_media_type = logo.data, logo.media_type
    brand.updated_at = utcnow()
    session.flush()
    return brand


def get_logo(session: Session, workspace: Workspace, *, brand_id: str) -> Logo:
    brand = get_brand(session, workspace, brand_id=brand_id, with_logo=True)
    if brand.logo is None or brand.logo_media_type is None:
        raise NotFoundError(f"brand '{brand.name}' has no logo", code="brand.no_logo")
    return Logo(data=brand.logo, media_type=brand.logo_media_type)


# -- library -----------------------------------------------------------------------------


@dataclass(slots=True)
class ImportReport:
    """What an import did: texts accepted (stored), duplicates skipped (of the library or
    of the same file), rejected texts with their line (row) and reason."""

    format: str
    accepted: int = 0
    duplicates: int = 0
    rejected_total: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected_total": self.rejected_total,
            "rejected": self.rejected,
        }


def import_texts(
    session: Session,
    workspace: Workspace,
    *,
    brand: Brand,
    items: Iterable[LibraryText | RejectedText],
    format: str,
) -> ImportReport:
    """Store the accepted texts of ``items`` in the library, skipping those it (or an earlier
    item) already holds; count and list the rest."""
    repo = BrandRepository(session, workspace)
    repo.lock(brand.id)
    report = ImportReport(format=format)
    seen: set[str] = set()
    batch: list[tuple[str, LibraryText]] = []
    # Texts of one import are stamped a microsecond apart, in file order: the library reads
    # newest first, and ties on a shared timestamp would fall back to random ids.
    stamp = utcnow()

    def store() -> None:
        known = repo.known_hashes(brand.id, (digest for digest, _ in batch))
        rows: list[dict[str, Any]] = []
        for digest, item in batch:
            if digest in known:
                report.duplicates += 1
                continue
            rows.append(
                {
                    "id": new_id("btx"),
                    "brand_id": brand.id,
                    "text": item.text,
                    "channel": item.channel,
                    "locale": item.locale,
                    "sha256": digest,
                    "created_at": stamp + timedelta(microseconds=report.accepted + len(rows)),
                }
            )
        repo.insert_texts(rows)
        report.accepted += len(rows)
        batch.clear()

    for item in items:
        if isinstance(item, RejectedText):
            report.rejected_total += 1
            if len(report.rejected) < MAX_REPORTED_REJECTS:
                report.rejected.append(item.to_dict())
            continue
        digest = normalized_sha256(item.text)
        if digest in seen:
            report.duplicates += 1
            continue
        seen.add(digest)
        batch.append((digest, item))
        if len(batch) >= _INSERT_BATCH:
            store()
    if batch:
        store()
    if report.accepted:
        brand.updated_at = utcnow()
    session.flush()
    return report


def import_file(
    session: Session,
    workspace: Workspace,
    *,
    brand: Brand,
    data: bytes,
    filename: str | None,
    format: str | None = None,
    channel: str | None = None,
    locale: str | None = None,
) -> ImportReport:
    """Import a library file (TXT, CSV/TSV, Markdown, HTML, JSONL; the format from the name's
    extension unless given). ``channel`` and ``locale`` apply to texts without their own."""
    if len(data) > MAX_LIBRARY_BYTES:
        raise TooLarge(f"{filename or 'upload'}: larger than {MAX_LIBRARY_BYTES:,} bytes")
    fmt = library_format(filename, format)
    items = read_library(
        data, format=fmt, source=filename or "upload", channel=channel, locale=locale
    )
    return import_texts(session, workspace, brand=brand, items=items, format=fmt)


def library_items(
    texts: Sequence[dict[str, Any]],
) -> list[LibraryText | RejectedText]:
    """Texts sent as JSON (``[{"text", "channel"?, "locale"?}]``) checked like a file's
    rows; positions are 1-based indexes, reported as ``row``."""
    out: list[LibraryText | RejectedText] = []
    for index, entry in enumerate(texts, start=1):
        text = str(entry.get("text") or "").strip()
        if not text:
            out.append(RejectedText("row", index, "empty text"))
            continue
        try:
            out.append(
                LibraryText(
                    index,
                    text,
                    check_channel(entry.get("channel")),
                    check_locale(entry.get("locale")),
                )
            )
        except ValueError as exc:
            out.append(RejectedText("row", index, str(exc)))
    return out


def list_texts(
    session: Session, workspace: Workspace, *, brand: Brand, cursor: str | None, limit: int
) -> tuple[list[BrandText], str | None]:
    """The brand's library, newest first, and the cursor of the next page."""
    return BrandRepository(session, workspace).texts_page(brand.id, cursor=cursor, limit=limit)


def count_texts(session: Session, workspace: Workspace, *, brand: Brand) -> int:
    return BrandRepository(session, workspace).count_texts(brand.id)


# -- voice -------------------------------------------------------------------------------


def train_voice(session: Session, workspace: Workspace, *, brand: Brand) -> BrandVoice:
    """Fit a voice profile on the library's newest ``MAX_VOICE_TEXTS`` texts and store it as
    the brand's current voice, with the guidelines version current now. ``brand.no_texts``
    (409) on an empty library; too few usable texts is the estimator's 422."""
    repo = BrandRepository(session, workspace)
    rows = repo.newest_texts(brand.id, limit=MAX_VOICE_TEXTS)
    if not rows:
        raise BrandNotReady(
            f"brand '{brand.name}' has no texts to learn its voice from (import some: "
            f"POST /v1/brands/{brand.id}/library, or brandloom brand import '{brand.name}')",
            code="brand.no_texts",
        )
    profile = VoiceProfile().fit([text for text, _ in rows], locales=[loc for _, loc in rows])
    voice = repo.add_voice(
        BrandVoice(
            id=new_id("voice"),
            brand_id=brand.id,
            guidelines_version=brand.guidelines_version,
            format=VOICE_FORMAT,
            profile=profile.to_bytes(),
            n_texts=len(rows),
            summary=profile.summary(),
        )
    )
    session.flush()
    return voice


def current_voice(session: Session, workspace: Workspace, *, brand: Brand) -> BrandVoice:
    """The brand's newest voice; ``brand.no_voice`` (404) before one was trained."""
    voice = BrandRepository(session, workspace).current_voice(brand.id)
    if voice is None:
        raise _no_voice(brand)
    return voice


def _no_voice(brand: Brand) -> NotFoundError:
    return NotFoundError(
        f"brand '{brand.name}' has no voice yet (train one: POST /v1/brands/{brand.id}/voice, "
        f"or brandloom voice train '{brand.name}')",
        code="brand.no_voice",
    )


def list_voices(session: Session, workspace: Workspace) -> list[tuple[Brand, BrandVoice | None]]:
    """Every brand, newest first, with its current voice (None before one was trained)."""
    return BrandRepository(session, workspace).current_voices()


# -- scoring and linting -----------------------------------------------------------------


def check_limits(texts: Sequence[str]) -> None:
    """Refuse (413 ``brand.too_large``) a request over the limits of ``POST /v1/analyze``,
    naming the text and the limit."""
    text_limits(texts, error=TooLarge)


def check_options(*, channel: str | None, locale: str | None) -> tuple[str | None, str | None]:
    """(channel, locale) as the checks read them; a malformed channel or an unknown locale is
    422 ``brand.invalid_option`` naming it."""
    try:
        return check_channel(channel), check_locale(locale)
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="brand.invalid_option") from None


@dataclass(frozen=True, slots=True)
class VoiceScorer:
    """A brand's current voice and guidelines, loaded and compiled once (the CLI scores a
    file in batches); ``score`` is pure."""

    profile: VoiceProfile
    linter: BrandLinter | None
    voice_id: str
    guidelines_version: int | None

    def score(
        self, texts: Sequence[str], *, channel: str | None = None, locale: str | None = None
    ) -> list[dict[str, Any]]:
        """One result per text, in order (``VoiceScore.to_dict()`` with the voice and the
        guidelines version it was scored with)."""
        check_limits(texts)
        channel, locale = check_options(channel=channel, locale=locale)
        scores = self.profile.score(texts, linter=self.linter, channel=channel, locale=locale)
        return [
            {
                **item.to_dict(),
                "voice_id": self.voice_id,
                "guidelines_version": self.guidelines_version,
            }
            for item in scores
        ]


def voice_scorer(session: Session, workspace: Workspace, *, brand: Brand) -> VoiceScorer:
    """The scorer of the brand's current voice, with its current guidelines (if any)."""
    repo = BrandRepository(session, workspace)
    voice = repo.current_voice(brand.id, with_profile=True)
    if voice is None:
        raise _no_voice(brand)
    linter = None
    if brand.guidelines_version is not None:
        row = current_guidelines(session, workspace, brand=brand)
        linter = BrandLinter(_guidelines_of(row, brand))
    return VoiceScorer(
        profile=VoiceProfile.from_bytes(voice.profile),
        linter=linter,
        voice_id=voice.id,
        guidelines_version=brand.guidelines_version,
    )


@dataclass(frozen=True, slots=True)
class GuidelinesLinter:
    """A brand's current guidelines compiled once; ``lint`` is pure."""

    linter: BrandLinter
    guidelines_version: int

    def lint(
        self,
        texts: Sequence[str],
        *,
        channel: str | None = None,
        locale: str | None = None,
        start: int = 0,
    ) -> list[dict[str, Any]]:
        """One ``{"index", "violations", "guidelines_version"}`` per text, in order; indexes
        count from ``start`` (a file linted in batches)."""
        check_limits(texts)
        channel, locale = check_options(channel=channel, locale=locale)
        return [
            {
                "index": index,
                "violations": [
                    v.to_dict() for v in self.linter.lint(text, channel=channel, locale=locale)
                ],
                "guidelines_version": self.guidelines_version,
            }
            for index, text in enumerate(texts, start=start)
        ]


def guidelines_linter(session: Session, workspace: Workspace, *, brand: Brand) -> GuidelinesLinter:
    """The linter of the brand's current guidelines; ``brand.no_guidelines`` (404) without."""
    row = current_guidelines(session, workspace, brand=brand)
    return GuidelinesLinter(BrandLinter(_guidelines_of(row, brand)), row.version)


# -- brands in render jobs -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobBrand:
    """A brand as a render job records it when it is created: the guidelines version and the
    voice it was checked with, so a resume (or another worker) uses the same ones even if
    the brand changed since."""

    brand_id: str
    name: str
    guidelines_version: int | None
    voice_id: str | None
    #: The kit as it was (kits are not versioned: the job keeps its own copy) and its logo's
    #: SHA-256, so a resumed job lays out its documents as the first run did.
    kit: dict[str, Any] | None = None
    logo_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "brand_id": self.brand_id,
            "name": self.name,
            "guidelines_version": self.guidelines_version,
            "voice_id": self.voice_id,
            "kit": self.kit,
            "logo_sha256": self.logo_sha256,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobBrand:
        return cls(
            brand_id=str(data["brand_id"]),
            name=str(data["name"]),
            guidelines_version=data.get("guidelines_version"),
            voice_id=data.get("voice_id"),
            kit=data.get("kit"),
            logo_sha256=data.get("logo_sha256"),
        )


@dataclass(frozen=True, slots=True)
class LoadedBrand:
    """What a render job's runtime needs of a brand, as plain data."""

    name: str
    guidelines: Guidelines | None
    guidelines_version: int | None
    voice: VoiceProfile | None
    kit: BrandKit
    logo: Logo | None


def brand_for_job(
    session: Session,
    workspace: Workspace,
    *,
    name: str,
    needs_guidelines: bool = False,
    needs_voice: bool = False,
    where: str = "brand",
) -> JobBrand:
    """Resolve the brand a render spec names; refuse at once (422, naming ``where`` and the
    command that fixes it) when a check it turns on needs guidelines or a voice the brand
    does not have yet."""
    brand = find_brand(session, workspace, name=name)
    if needs_guidelines and brand.guidelines_version is None:
        raise ValidationFailed(
            f"{where}: brand '{brand.name}' has no guidelines to check against (add them: "
            f"brandloom brand create '{brand.name}' --guidelines FILE.yaml)",
            code="brand.no_guidelines",
        )
    voice = BrandRepository(session, workspace).current_voice(brand.id)
    if needs_voice and voice is None:
        raise ValidationFailed(
            f"{where}: brand '{brand.name}' has no voice to score against (train one: "
            f"brandloom voice train '{brand.name}')",
            code="brand.no_voice",
        )
    return JobBrand(
        brand_id=brand.id,
        name=brand.name,
        guidelines_version=brand.guidelines_version,
        voice_id=voice.id if voice is not None else None,
        kit=dict(brand.kit or {}),
        logo_sha256=hashlib.sha256(brand.logo).hexdigest() if brand.logo is not None else None,
    )


def load_job_brand(
    session: Session, workspace: Workspace | str, *, recorded: JobBrand
) -> LoadedBrand:
    """The guidelines version, voice, kit and logo a job recorded (``brand.not_found`` when
    the brand was deleted since)."""
    repo = BrandRepository(session, workspace)
    brand = repo.get(recorded.brand_id, with_logo=True)
    if brand is None:
        raise BrandNotFound(f"brand '{recorded.name}' was deleted after the job was created")
    guidelines = None
    if recorded.guidelines_version is not None:
        row = repo.guidelines(brand.id, recorded.guidelines_version)
        if row is not None:
            guidelines = _guidelines_of(row, brand)
    voice = None
    if recorded.voice_id is not None:
        stored = repo.voice(recorded.voice_id, with_profile=True)
        if stored is not None:
            voice = VoiceProfile.from_bytes(stored.profile)
    logo = (
        Logo(data=brand.logo, media_type=brand.logo_media_type)
        if brand.logo is not None and brand.logo_media_type is not None
        else None
    )
    found_sha = hashlib.sha256(logo.data).hexdigest() if logo is not None else None
    if recorded.kit is not None and found_sha != recorded.logo_sha256:
        # the kit itself is kept with the job; a logo is too large to copy into every job
        raise BrandloomError(
            f"brand '{recorded.name}': its logo changed after the job was created, so a resumed "
            "job would lay out its documents differently; start a new job",
            code="brand.logo_changed",
            status=409,
        )
    kit = BrandKit.model_validate(recorded.kit if recorded.kit is not None else brand.kit or {})
    return LoadedBrand(
        name=brand.name,
        guidelines=guidelines,
        guidelines_version=recorded.guidelines_version,
        voice=voice,
        kit=kit,
        logo=logo,
    )
