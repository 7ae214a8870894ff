"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), for two-step sign-in.

A second factor is what ASVS 5.0 (V6.3.3, level 2) expects of staff who can reach data about
children; the authenticator apps schools already use (Microsoft, Google, Authy) speak this
standard: HMAC-SHA1, 6 digits, 30-second steps. Written out here, not taken from a package,
because it is twenty lines and its test is the RFCs' own vectors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
#: one step either side: a phone's clock a little off, or a code typed as it turned over
DRIFT_STEPS = 1
ISSUER = "Caseflow"


def new_secret() -> str:
    """A fresh 160-bit shared secret in base32, as authenticator apps take it (RFC 4226 asks for at least 128)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 section 5.3: HMAC-SHA1 of the counter, dynamically truncated."""
    key = base64.b32decode(secret, casefold=True)
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(moment: datetime) -> int:
    """The 30-second step a moment falls in (RFC 6238's T, with T0 the Unix epoch)."""
    return int(moment.timestamp()) // STEP_SECONDS


def normalise_code(text: str | None) -> str | None:
    """What a person typed, as six digits (spaces and dashes allowed, as apps show ``123 456``); else None."""
    if text is None:
        return None
    code = "".join(c for c in text if c not in " -")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    return code


def matching_step(secret: str, code: str | None, moment: datetime, after_step: int | None = None) -> int | None:
    """The step whose code ``code`` is, within the drift allowed around ``moment``; None if none is.

    ``after_step``: the step of the last code accepted from this secret. A code is good once
    (ASVS V6.5.1): a step at or before it is refused, so a code seen over a shoulder or replayed
    from a captured request is no use."""
    typed = normalise_code(code)
    if typed is None:
        return None
    now = step_at(moment)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(hotp(secret, step), typed):
            return step
    return None


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` address an authenticator app reads (from a QR code, or tapped on a phone)."""
    label = quote(f"{issuer}:{username}")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
