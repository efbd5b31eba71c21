"""Who may use the server: passwords, tokens, login sessions, throttling, XSRF, Host and Origin.

The rule here: plain Python built from plain values (a hash, a secret, a state
directory, a clock), with no tornado and no HTTP status codes, so every decision can
be tested without a server. Secrets are compared in constant time; nothing that would
let someone in (a session id, a password) is stored or logged in the clear.

    passwords       hash and verify passwords (argon2id; legacy forms upgraded)
    authenticator   Authenticator: password (+ TOTP) logins and token checks
    throttle        LoginThrottle: growing delays per client address
    sessions        LoginSessions: server-side, persisted, revocable login sessions
    totp            RFC 6238 codes, TotpVerifier, otpauth:// URIs
    xsrf            XsrfTokens bound to a login session
    origin          host_allowed / origin_allowed (DNS rebinding, cross-site WebSockets)
    proxy           the client address and scheme behind a trusted proxy
    setup           build_auth(settings, state_dir) -> AuthServices
    *_command       carnet password, carnet sessions, carnet totp
"""

from __future__ import annotations


def passwd(passphrase: str | None = None) -> str:
    """Hash a password for ``auth.password_hash``, asking twice without echo when None.

    The equivalent of the classic ``from IPython.lib import passwd; passwd()``; the
    result is an argon2id hash. argon2 is imported on first use, not with this package.
    """
    from carnet.auth.passwords import passwd as _passwd

    return _passwd(passphrase)
