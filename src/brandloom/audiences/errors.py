"""Errors raised while opening an audience file (before any row is read)."""

from __future__ import annotations

from brandloom.errors import BrandloomError


class AudienceError(BrandloomError):
    """The audience file as a whole cannot be imported.

    Codes used: ``audience.not_found``, ``audience.unreadable``, ``audience.empty``,
    ``audience.format``, ``audience.encoding``, ``audience.mapping``, ``audience.options``,
    ``audience.types`` (a declared type that cannot apply). Problems with single rows are
    never raised: they come out of the reader as :class:`~brandloom.audiences.reader.RejectedRow`.
    """

    code = "audience.invalid"
    status = 422
