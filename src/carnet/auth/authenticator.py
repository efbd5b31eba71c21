"""Checking a password (with its optional second factor) or a token.

Failed logins are throttled per client address and logged with the address. A stored
hash in a legacy form (or with weaker argon2 parameters) is replaced after the first
successful login through a callback that rewrites it where it is configured.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from carnet.auth import passwords
from carnet.auth.throttle import LoginThrottle
from carnet.auth.totp import TotpVerifier
from carnet.errors import ConfigError

log = logging.getLogger("carnet.auth")

Outcome = Literal[
    "ok", "throttled", "wrong-password", "totp-required", "wrong-totp", "no-password", "bad-hash"
]


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt.

    ``retry_after`` is how many seconds the address must wait before trying again
    (set when ``outcome`` is ``throttled``, and after a failure that started a delay).
    """

    outcome: Outcome
    retry_after: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the user is in."""
        return self.outcome == "ok"


class Authenticator:
    """Password, TOTP and token checks over plain values.

    ``password_hash`` is the stored hash (any form :mod:`carnet.auth.passwords` accepts)
    or None when no password is set; ``token`` the server's token or None/empty when
    tokens are off; ``totp_secret`` the base32 secret or None; ``upgrade_hash`` is called
    with a new hash after a login with an outdated one (it should store it; errors are
    logged, never fatal to the login).
    """

    def __init__(
        self,
        *,
        password_hash: str | None,
        token: str | None,
        throttle: LoginThrottle,
        totp: TotpVerifier | None = None,
        upgrade_hash: Callable[[str], None] | None = None,
    ) -> None:
        self._hash = password_hash or None
        self._token = token or None
        self._throttle = throttle
        self._totp = totp
        self._upgrade = upgrade_hash

    @property
    def has_password(self) -> bool:
        """True when browser logins take a password."""
        return self._hash is not None

    @property
    def needs_totp(self) -> bool:
        """True when a second factor is asked for after the password."""
        return self._totp is not None

    async def check_password(
        self, addr: str, password: str, totp_code: str | None = None
    ) -> LoginResult:
        """Check a login attempt from client address ``addr``.

        A throttled address gets ``throttled`` without its password being looked at.
        A right password without the needed TOTP code gives ``totp-required`` (not a
        failure); a wrong code counts as a failure like a wrong password.
        """
        wait = self._throttle.check(addr)
        if wait > 0:
            log.warning("login from %s refused: throttled for %.0f more seconds", addr, wait)
            return LoginResult("throttled", wait)
        if self._hash is None:
            return LoginResult("no-password")
        stored = self._hash
        # Hashing takes tens of milliseconds of CPU: keep it off the event loop.
        try:
            result = await asyncio.to_thread(passwords.verify, stored, password)
        except ConfigError as exc:
            log.error("password login impossible: %s; fix it with 'carnet password'", exc.message)
            return LoginResult("bad-hash")
        if not result.matched:
            return self._failed(addr, "wrong-password")
        if self._totp is not None:
            if not totp_code:
                return LoginResult("totp-required")
            if not self._totp.verify(totp_code):
                return self._failed(addr, "wrong-totp")
        self._throttle.success(addr)
        if result.new_hash is not None and self._hash == stored:
            self._hash = result.new_hash
            self._store_upgrade(result.new_hash)
        log.info("login from %s", addr)
        return LoginResult("ok")

    def _failed(self, addr: str, outcome: Outcome) -> LoginResult:
        delay = self._throttle.failure(addr)
        what = "wrong password" if outcome == "wrong-password" else "wrong TOTP code"
        log.warning("failed login from %s: %s", addr, what)
        return LoginResult(outcome, delay)

    def _store_upgrade(self, new_hash: str) -> None:
        if self._upgrade is None:
            return
        try:
            self._upgrade(new_hash)
        except Exception:
            log.exception("could not store the upgraded password hash; the old one still works")
        else:
            log.info("the stored password hash was upgraded to argon2id")

    def check_token(self, presented: str | None) -> bool:
        """True when ``presented`` is the server's token (constant-time comparison)."""
        if self._token is None or not presented:
            return False
        return hmac.compare_digest(presented.encode("utf-8"), self._token.encode("utf-8"))
