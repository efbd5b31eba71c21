"""XSRF tokens bound to a login session.

A token is a random nonce and an HMAC of the nonce and the session id under a server
secret, so it is worthless with any other session and cannot be made without the
secret. The secret lives in the state directory (mode 0600) so tokens in open tabs
survive a server restart, as the sessions do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from carnet.errors import ConfigError

SECRET_FILE = "xsrf-secret"
SECRET_BYTES = 32
NONCE_BYTES = 16


def load_or_create_secret(path: Path) -> bytes:
    """The server secret in ``path``, made (mode 0600) on first use."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) >= SECRET_BYTES:
        return data[:SECRET_BYTES]
    from carnet.tls.certs import write_atomic

    secret = secrets.token_bytes(SECRET_BYTES)
    write_atomic(path, secret, mode=0o600)
    return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class XsrfTokens:
    """Issue and check XSRF tokens for login sessions, under one server secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the XSRF secret is too short")
        self._secret = secret

    @classmethod
    def in_dir(cls, state_dir: Path) -> XsrfTokens:
        """Tokens under the secret kept in ``state_dir/xsrf-secret``."""
        return cls(load_or_create_secret(state_dir / SECRET_FILE))

    def _mac(self, nonce: bytes, session_id: str) -> bytes:
        message = b"carnet-xsrf\0" + nonce + b"\0" + session_id.encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def issue(self, session_id: str) -> str:
        """A fresh token for the session (a new one each call; all stay valid)."""
        nonce = os.urandom(NONCE_BYTES)
        return f"{_b64(nonce)}.{_b64(self._mac(nonce, session_id))}"

    def verify(self, session_id: str, token: str | None) -> bool:
        """True when ``token`` was issued for this session by this server."""
        if not token or token.count(".") != 1:
            return False
        nonce_text, mac_text = token.split(".")
        try:
            nonce, mac = _unb64(nonce_text), _unb64(mac_text)
        except (ValueError, binascii.Error):
            return False
        if len(nonce) != NONCE_BYTES:
            return False
        return hmac.compare_digest(mac, self._mac(nonce, session_id))
