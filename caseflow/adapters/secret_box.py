"""Secrets kept at rest sealed (AES-256-GCM) under the deployment's data key: a copy of the database, or
a backup of it, does not give away the authenticator secrets that make a second sign-in step worth having
(ASVS V6.1, V11.3.2).

Each secret is sealed for a purpose (``totp:<user id>``), authenticated as associated data, so a sealed
secret copied into another account's row does not open there. A value without the version prefix is one
written before secrets were sealed: it still reads, and ``caseflow db upgrade`` seals it.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A sealed secret that this data key does not open: another deployment's key, or a changed one."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the data key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, plain: str, purpose: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain.encode("utf-8"), purpose.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, purpose: str) -> str:
        """The secret ``stored`` holds; a value written before sealing is returned as it is."""
        if not is_sealed(stored):
            return stored
        try:
            raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode("utf-8")).decode("utf-8")
        except (InvalidTag, ValueError) as error:
            raise SecretUnreadable(purpose) from error


def derive_key(key: bytes, purpose: str) -> bytes:
    """A key of its own for ``purpose`` (HKDF-SHA256 of the data key): the encryption key is never used raw
    for anything else, and a key for one purpose tells nothing of the data key or of another purpose's key."""
    return HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=f"caseflow:{purpose}".encode()).derive(key)


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def decode_key(text: str) -> bytes:
    """A data key written as URL-safe base64 of 32 random bytes (``caseflow keys new`` prints one)."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a data key is URL-safe base64 of {KEY_BYTES} random bytes")
    return key


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")
