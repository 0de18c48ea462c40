"""Errors of the brands domain, each with a stable code and the status the API answers."""

from __future__ import annotations

from brandloom.errors import ConflictError, NotFoundError, ValidationFailed


class BrandNotFound(NotFoundError):
    """No brand with that id (or name, in the CLI) in the workspace: ``brand.not_found``."""

    code = "brand.not_found"


class BrandExists(ConflictError):
    """The workspace already has a brand with that name: ``brand.exists``."""

    code = "brand.exists"


class BrandNotReady(ConflictError):
    """The brand lacks what the action needs (409): ``brand.no_texts`` (train a voice from an
    empty library), ``brand.no_voice`` (score before a voice was trained),
    ``brand.no_guidelines`` (lint without guidelines)."""

    code = "brand.not_ready"


class KitInvalid(ValidationFailed):
    """A visual kit (colors, font, address, sender, logo) that breaks a rule: ``brand.kit``,
    ``brand.logo``; a logo over the size limit answers 413 ``brand.logo_too_large``."""

    code = "brand.kit"


class LibraryError(ValidationFailed):
    """A content-library file that cannot be read at all (``brand.library``): unknown format,
    not UTF-8, no ``text`` column. Single rows that fail are reported, never raised."""

    code = "brand.library"


class TooLarge(ValidationFailed):
    """A request over the text limits of score and lint, or a library file over its size."""

    code = "brand.too_large"
    status = 413
