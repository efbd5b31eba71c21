"""Signing a browser in and out: the login page, its form, and logout.

The form takes the password (and the TOTP code when a second factor is on), or the
server's token when no password is set, as Jupyter's login page does. Failed attempts
are throttled per client address by the auth services; a throttled address gets 429
with ``Retry-After`` and a page saying how long to wait. ``next`` is followed only when
it is a path under the base URL, so the form cannot send anyone to another site.
"""

from __future__ import annotations

import html
import logging
import math
from urllib.parse import urlsplit

from carnet.web.base import auth_enabled, client_addr, session_of
from carnet.web.pages import PageHandler

log = logging.getLogger("carnet.auth")


def safe_next(raw: str | None, base_url: str) -> str:
    """Where to go after signing in: ``raw`` when it is a path under the base URL.

    Anything else (another scheme, another host, ``//host``, backslashes, control
    characters) gives the dashboard.
    """
    default = base_url + "tree/"
    if not raw:
        return default
    parts = urlsplit(raw)
    if (
        parts.scheme
        or parts.netloc
        or not raw.startswith(base_url)
        or "//" in raw
        or "\\" in raw
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw)
    ):
        return default
    return raw


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


class LoginHandler(PageHandler):
    """``<base_url>login``: the sign-in form, and its POST."""

    requires_auth = False

    def get(self) -> None:
        if not auth_enabled(self.services) or session_of(self.services, self.request):
            self.redirect(safe_next(self.query("next"), self.services.base_url))
            return
        self.render_form()

    async def post(self) -> None:
        base = self.services.base_url
        target = safe_next(self.get_body_argument("next", None), base)
        if not auth_enabled(self.services):
            self.redirect(target)
            return
        auth = self.services.auth
        addr = client_addr(self.services, self.request)
        secret = self.get_body_argument("password", "") or ""
        code = (self.get_body_argument("code", "") or "").strip() or None
        wait = auth.throttle.check(addr)
        if wait > 0:
            log.warning("login from %s refused: throttled for %.0f more seconds", addr, wait)
            self.render_throttled(wait)
            return
        if auth.authenticator.check_token(secret):
            auth.throttle.success(addr)
            log.info("login with the token from %s", addr)
        elif auth.authenticator.has_password:
            result = await auth.authenticator.check_password(addr, secret, code)
            if result.outcome == "throttled":
                self.render_throttled(result.retry_after)
                return
            if result.outcome == "totp-required":
                self.render_form(message="Enter the code from your authenticator app.")
                return
            if not result.ok:
                self.render_failure(result.outcome, result.retry_after)
                return
        else:
            delay = auth.throttle.failure(addr)
            log.warning("failed login from %s: wrong token", addr)
            self.render_failure("wrong-token", delay)
            return
        self.start_session()
        self.redirect(target)

    def render_form(self, message: str = "", status: int = 200) -> None:
        """The sign-in page, with ``message`` above the form."""
        auth = self.services.auth.authenticator
        base = self.services.base_url
        target = safe_next(self.query("next") or self.get_body_argument("next", None), base)
        if auth.has_password:
            label, hint = "Password", ""
        else:
            label = "Token"
            hint = (
                "<p>Paste the token carnet printed when it started (the part after "
                "<code>?token=</code>), or set a password with <code>carnet password</code>.</p>"
            )
        code = (
            '<label>Authenticator code <input name="code" inputmode="numeric" '
            'autocomplete="one-time-code" pattern="[0-9 ]*"></label>'
            if auth.needs_totp
            else ""
        )
        notice = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
        self.set_status(status)
        self.render_page(
            "Sign in · carnet",
            '<main class="notice login"><h1>Sign in to carnet</h1>'
            f"{notice}{hint}"
            f'<form method="post" action="{html.escape(base)}login">'
            f'<input type="hidden" name="next" value="{html.escape(target)}">'
            f'<label>{label} <input name="password" type="password" '
            'autocomplete="current-password" autofocus required></label>'
            f'{code}<button type="submit">Sign in</button></form></main>',
        )

    def render_failure(self, outcome: str, delay: float) -> None:
        """A failed attempt: say what was wrong, and how long to wait when a delay began."""
        what = {
            "wrong-password": "Wrong password.",
            "wrong-totp": "Wrong authenticator code.",
            "wrong-token": "Wrong token.",
            "bad-hash": "Password logins are broken on this server: see its log.",
        }.get(outcome, "Sign-in failed.")
        if delay > 0:
            seconds = math.ceil(delay)
            self.set_header("Retry-After", str(seconds))
            what += f" Too many failed attempts: wait {_seconds(seconds)} before the next one."
        self.render_form(what, status=403)

    def render_throttled(self, wait: float) -> None:
        """429: this address must wait before trying again."""
        seconds = max(1, math.ceil(wait))
        self.set_header("Retry-After", str(seconds))
        self.render_form(
            f"Too many failed sign-in attempts from your address: wait {_seconds(seconds)}, "
            "then try again.",
            status=429,
        )


class LogoutHandler(PageHandler):
    """``<base_url>logout``: GET shows a button, POST (with the XSRF token) signs out."""

    requires_auth = False

    def get(self) -> None:
        base = self.services.base_url
        xsrf = self.xsrf_for_page()
        if xsrf is None:
            self.render_page(
                "Signed out · carnet",
                '<main class="notice"><h1>You are not signed in</h1>'
                f'<p><a href="{html.escape(base)}login">Sign in</a></p></main>',
            )
            return
        self.render_page(
            "Sign out · carnet",
            '<main class="notice"><h1>Sign out of carnet</h1>'
            f'<form method="post" action="{html.escape(base)}logout">'
            f'<input type="hidden" name="_xsrf" value="{html.escape(xsrf)}">'
            '<button type="submit">Sign out</button></form></main>',
        )

    def post(self) -> None:
        session_id = session_of(self.services, self.request)
        if session_id is not None:
            self.check_xsrf()
            self.services.auth.sessions.revoke(session_id)
            log.info("logout from %s", client_addr(self.services, self.request))
        self.clear_cookie(self.services.settings.auth.cookie_name, path=self.services.base_url)
        self.redirect(self.services.base_url + "login")
