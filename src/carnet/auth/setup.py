"""Building the auth services from the settings, for the server to own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carnet.auth.authenticator import Authenticator
from carnet.auth.sessions import LoginSessions
from carnet.auth.throttle import LoginThrottle
from carnet.auth.totp import TotpVerifier
from carnet.auth.xsrf import XsrfTokens
from carnet.settings import Settings

log = logging.getLogger("carnet.auth")
_FILE_SOURCE = "config file "


@dataclass(frozen=True)
class AuthServices:
    """Everything the web layer needs to decide who a request comes from."""

    authenticator: Authenticator
    sessions: LoginSessions
    throttle: LoginThrottle
    xsrf: XsrfTokens


def hash_upgrader(settings: Settings) -> Callable[[str], None] | None:
    """A callback that rewrites ``auth.password_hash`` where it was configured.

    Only a TOML config file can be rewritten; a hash from the environment or from a
    Jupyter ``.py``/``.json`` file stays as it is (it keeps working) and a log line
    says how to upgrade it.
    """
    source = settings.sources.get("auth.password_hash", "")
    path = Path(source[len(_FILE_SOURCE) :]) if source.startswith(_FILE_SOURCE) else None
    if path is None or path.suffix.lower() != ".toml":

        def explain(new_hash: str) -> None:
            log.info(
                "the password hash from %s is a legacy form; run 'carnet password' to store "
                "an argon2id hash",
                source or "the settings",
            )

        return explain

    def rewrite(new_hash: str) -> None:
        from carnet.config.edit import set_setting

        set_setting(path, "auth.password_hash", new_hash)

    return rewrite


def build_auth(
    settings: Settings, state_dir: Path, *, clock: Callable[[], float] = time.time
) -> AuthServices:
    """The auth services for ``settings``, keeping their files in ``state_dir``."""
    auth = settings.auth
    throttle = LoginThrottle(
        free_attempts=auth.throttle_free_attempts,
        base_delay=auth.throttle_base_delay,
        max_delay=auth.throttle_max_delay,
        max_addresses=auth.throttle_max_addresses,
    )
    totp = (
        TotpVerifier(auth.totp_secret.reveal(), clock=clock)
        if auth.totp_secret is not None and auth.totp_secret.reveal()
        else None
    )
    token = settings.server.token
    authenticator = Authenticator(
        password_hash=auth.password_hash.reveal() if auth.password_hash is not None else None,
        token=token.reveal() if token is not None else None,
        throttle=throttle,
        totp=totp,
        upgrade_hash=hash_upgrader(settings),
    )
    sessions = LoginSessions.in_dir(state_dir, ttl=auth.session_days * 86400.0, clock=clock)
    return AuthServices(authenticator, sessions, throttle, XsrfTokens.in_dir(state_dir))
