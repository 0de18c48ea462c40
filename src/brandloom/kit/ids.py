"""Opaque, prefixed, URL-safe identifiers (``job_3fJ9...``)."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """A random 128-bit id with a readable type prefix."""
    return f"{prefix}_{secrets.token_urlsafe(16).replace('-', 'x').replace('_', 'y')}"
