"""Time-based one-time passwords (RFC 6238): SHA-1, 6 digits, 30-second steps.

A code is accepted in the current step and one step either side (clock drift), and a
code whose step is not later than the last accepted one is refused, so a code seen
over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from carnet.errors import ConfigError

STEP = 30
DIGITS = 6
WINDOW = 1
SECRET_BYTES = 20


def new_secret() -> str:
    """A fresh random secret, base32 without padding (as authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret (spaces and case ignored, padding optional)."""
    text = "".join(secret.split()).upper()
    text += "=" * (-len(text) % 8)
    try:
        key = base64.b32decode(text)
    except (ValueError, TypeError) as exc:
        raise ConfigError("auth.totp_secret is not valid base32") from exc
    if len(key) < 10:
        raise ConfigError("auth.totp_secret is too short (at least 16 base32 characters)")
    return key


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """The RFC 4226 one-time password of ``key`` for ``counter``."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp(
    key: bytes, at: float, *, digits: int = DIGITS, step: int = STEP, digest: str = "sha1"
) -> str:
    """The RFC 6238 code of ``key`` at Unix time ``at``."""
    return hotp(key, int(at // step), digits=digits, digest=digest)


def otpauth_uri(secret: str, account: str, issuer: str = "carnet") -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read from a QR code."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP}
    )
    return f"otpauth://totp/{label}?{query}"


class TotpVerifier:
    """Checks codes for one secret, refusing a step that was already used."""

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._key = decode_secret(secret)
        self._clock = clock
        self._last_step = -1

    def verify(self, code: str) -> bool:
        """True when ``code`` is valid now (±1 step) and newer than the last accepted one."""
        code = code.strip().replace(" ", "")
        if len(code) != DIGITS or not code.isdigit():
            return False
        now_step = int(self._clock() // STEP)
        matched = None
        for step in range(now_step - WINDOW, now_step + WINDOW + 1):
            # Check every step so the time taken does not tell which one matched.
            if hmac.compare_digest(hotp(self._key, step), code) and matched is None:
                matched = step
        if matched is None or matched <= self._last_step:
            return False
        self._last_step = matched
        return True
