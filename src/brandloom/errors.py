"""One error base class that knows its stable code and its HTTP status.

Services raise these; the API turns them into ``{"error": {"code", "message"}}`` responses and
the CLI into a clear message with exit code 2.
"""

from __future__ import annotations

from typing import Any


class BrandloomError(Exception):
    """Base of every expected, user-facing error."""

    code: str = "error"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class NotFoundError(BrandloomError):
    code = "not_found"
    status = 404


class ValidationFailed(BrandloomError):
    code = "validation_error"
    status = 422


class ConflictError(BrandloomError):
    code = "conflict"
    status = 409


class AuthError(BrandloomError):
    code = "auth.unauthorized"
    status = 401


class ForbiddenError(BrandloomError):
    """Authenticated, but without the scope the action needs."""

    code = "auth.forbidden"
    status = 403
