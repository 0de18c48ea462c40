"""Encryption of the provider keys a workspace stores (Fernet: AES-128-CBC + HMAC-SHA256).

The key is ``BRANDLOOM_SECRET_KEY``. The embedded mode (SQLite) generates one into
``<data dir>/secret.key`` (mode 0600) the first time a key is stored; a server with its own
database must be given one, since every API process and worker must share it. Plain keys exist
only in memory, on their way to a provider; they are never logged or returned.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from brandloom.errors import BrandloomError
from brandloom.settings import Settings


class SecretKeyError(BrandloomError):
    code = "settings.secret_key"
    status = 500


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / "secret.key"


def fernet(settings: Settings, *, create: bool) -> Fernet | None:
    """The instance's cipher; None when there is no key and ``create`` is false."""
    if settings.secret_key is not None:
        try:
            return Fernet(settings.secret_key.get_secret_value().encode())
        except ValueError:
            raise SecretKeyError(
                "BRANDLOOM_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)"
            ) from None
    path = _key_file(settings)
    if path.is_file():
        return Fernet(path.read_bytes().strip())
    if not create:
        return None
    if not settings.resolved_database_url().startswith("sqlite"):
        raise SecretKeyError(
            "set BRANDLOOM_SECRET_KEY (a Fernet key shared by every process) before storing "
            "provider keys"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use that one
        return Fernet(path.read_bytes().strip())
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    return Fernet(key)


def encrypt(settings: Settings, plain: str) -> str:
    cipher = fernet(settings, create=True)
    assert cipher is not None
    return cipher.encrypt(plain.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    cipher = fernet(settings, create=False)
    if cipher is None:
        raise SecretKeyError("a stored provider key cannot be read: the secret key is missing")
    try:
        return cipher.decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretKeyError(
            "a stored provider key cannot be read with this BRANDLOOM_SECRET_KEY (was it "
            "changed?); store the key again"
        ) from None
